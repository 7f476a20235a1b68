-- The unsharded table countries lives on the default shard only.

SELECT * FROM countries
@ordered SELECT * FROM countries ORDER BY code
@ordered SELECT code, name FROM countries ORDER BY name, code
@ordered SELECT code, name FROM countries ORDER BY name DESC, code
@ordered SELECT code, population FROM countries ORDER BY population DESC, code
@ordered SELECT code, area FROM countries ORDER BY area, code
@ordered SELECT code, gdp FROM countries ORDER BY gdp, code
@ordered SELECT code, joined FROM countries ORDER BY joined, code
@ordered SELECT code FROM countries ORDER BY code LIMIT 5
@ordered SELECT code FROM countries ORDER BY code LIMIT 5, 5
@ordered SELECT code FROM countries ORDER BY code DESC LIMIT 3 OFFSET 30
@count-only SELECT code FROM countries LIMIT 7
SELECT * FROM countries WHERE code = 'DE'
SELECT * FROM countries WHERE code = 'de'
SELECT * FROM countries WHERE code IN ('AT', 'CH', 'XX')
SELECT code, name FROM countries WHERE name LIKE '%é%' OR name LIKE 'É%'
SELECT code, name FROM countries WHERE name = 'osterreich'
SELECT code, name FROM countries WHERE name = ''
SELECT code FROM countries WHERE continent IS NULL
SELECT code, population FROM countries WHERE population > 1000000000
SELECT COUNT(*), COUNT(continent), COUNT(population), COUNT(gdp) FROM countries
SELECT SUM(population), AVG(population), MIN(population), MAX(population) FROM countries
SELECT SUM(area), AVG(area), SUM(gdp), AVG(gdp) FROM countries
SELECT MIN(joined), MAX(joined), MIN(name), MAX(name) FROM countries
@ordered SELECT continent, COUNT(*), SUM(population), AVG(gdp) FROM countries GROUP BY continent ORDER BY continent
@ordered SELECT continent, COUNT(*) FROM countries GROUP BY continent HAVING COUNT(*) > 3 ORDER BY continent
@ordered SELECT continent, COUNT(*) AS n FROM countries GROUP BY continent ORDER BY n DESC, continent
@ordered SELECT DISTINCT continent FROM countries ORDER BY continent
SELECT COUNT(DISTINCT continent) FROM countries
SELECT code, UPPER(name), CHAR_LENGTH(name), LENGTH(name) FROM countries
SELECT code, population / area, ROUND(gdp / 1000, 2) FROM countries
SELECT c.code, c.name FROM countries AS c WHERE c.code > 'S'
SELECT code, name FROM sbtest.countries WHERE code < 'C'
