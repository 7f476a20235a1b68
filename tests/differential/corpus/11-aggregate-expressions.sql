-- Arithmetic over aggregates: each shard returns the aggregates, the proxy
-- computes the expression with the server's types, digits and rounding.

-- Integer arithmetic stays integer.
SELECT COUNT(*) + 1, COUNT(*) - COUNT(qty), COUNT(*) * 3, -COUNT(*) FROM orders
SELECT COUNT(*) DIV 7, COUNT(*) % 7, COUNT(*) MOD 4, MAX(qty) - MIN(qty) FROM orders
SELECT MAX(k) - MIN(k), MAX(id) * 2 + 1, SUM(k) - MAX(k) FROM sbtest1
SELECT COUNT(*) DIV 0, COUNT(*) % 0, COUNT(*) / 0 FROM orders
-- "/" on exact numbers gives DECIMAL with four more digits, cut where the server cuts.
SELECT COUNT(*) / 3, COUNT(qty) / 7, SUM(qty) / COUNT(*) FROM orders
SELECT SUM(amount) / COUNT(*), SUM(amount) / 3, SUM(discount) / COUNT(discount) FROM orders
SELECT SUM(amount) * 0.001 / COUNT(*), SUM(amount) * 0.00001 / 7 FROM orders
SELECT SUM(credit) / 7, SUM(balance) / 13, MAX(credit) / MIN(credit) FROM customers
SELECT SUM(amount) / SUM(qty), SUM(qty) / SUM(amount) FROM orders
SELECT 1 / COUNT(*), 100 / COUNT(*), 2.5 / COUNT(*) FROM orders
-- DECIMAL with DECIMAL, and DECIMAL with integers.
SELECT SUM(amount) + SUM(discount), SUM(amount) * 2, SUM(amount) * 1.5, SUM(amount) - 0.005 FROM orders
SELECT MAX(amount) * MIN(amount), MAX(discount) * MAX(amount) FROM orders
SELECT SUM(amount) % 7, SUM(amount) MOD 0.3, SUM(amount) DIV 3 FROM orders
-- DOUBLE wins over everything else.
SELECT SUM(price) / COUNT(*), SUM(price) * 2, SUM(price) + SUM(amount), MAX(ratio) - 1 FROM orders
SELECT MAX(price) - MIN(price), SUM(price) / 8, AVG(price) * COUNT(*) FROM orders
SELECT SUM(score) / COUNT(score), MAX(score) % 3, SUM(score) DIV 2 FROM customers
SELECT SUM(amount) * 1e0, COUNT(*) + 0.5e1 FROM orders
-- AVG inside an expression keeps the server's extra digits until the end.
SELECT AVG(amount) * 2, AVG(amount) + AVG(qty), AVG(qty) / 3 FROM orders
SELECT ROUND(AVG(amount), 1), ROUND(AVG(amount), 3), ROUND(AVG(qty)), ROUND(AVG(price), 2) FROM orders
SELECT AVG(discount) - AVG(amount), AVG(credit) * 3 FROM customers
-- ROUND, TRUNCATE, ABS, FLOOR, CEILING.
SELECT ROUND(SUM(amount) / 7, 2), ROUND(SUM(amount), -2), ROUND(SUM(qty), -1), ROUND(COUNT(*), -1) FROM orders
SELECT ROUND(SUM(price) / 8, 3), ROUND(SUM(price), -1), ROUND(AVG(price), 4), ROUND(MAX(ratio), 4) FROM orders
SELECT TRUNCATE(SUM(amount) / 7, 2), TRUNCATE(SUM(amount), -2), TRUNCATE(SUM(price), 1), TRUNCATE(-SUM(amount) / 7, 3) FROM orders
SELECT ABS(MIN(amount)), ABS(SUM(amount) - 100000), ABS(MIN(price)), ABS(-COUNT(*)) FROM orders
SELECT FLOOR(SUM(amount) / 7), CEILING(SUM(amount) / 7), FLOOR(-AVG(amount)), CEIL(AVG(price)) FROM orders
SELECT FLOOR(MIN(amount)), CEILING(MIN(amount)), FLOOR(AVG(qty)) FROM orders WHERE amount < 0
-- NULL: empty inputs, IFNULL and COALESCE.
SELECT SUM(amount) / COUNT(*), SUM(qty) + 1, ROUND(AVG(amount), 1) FROM orders WHERE 1 = 0
SELECT IFNULL(SUM(amount), 0), COALESCE(SUM(qty), -1), COALESCE(MAX(discount), MIN(amount), 0) FROM orders WHERE 1 = 0
SELECT IFNULL(SUM(qty), 0) + 1, COALESCE(AVG(discount), 0) FROM orders WHERE qty IS NULL
SELECT COALESCE(SUM(amount), 0) FROM orders WHERE status = 'none'
-- With GROUP BY, HAVING and ORDER BY.
@ordered SELECT status, SUM(amount) / COUNT(*) AS mean, COUNT(*) * 2 FROM orders GROUP BY status ORDER BY status
@ordered SELECT status, ROUND(AVG(amount), 1) AS a FROM orders GROUP BY status ORDER BY a DESC, status
@ordered SELECT customer_id, SUM(amount) - SUM(discount) AS net FROM orders GROUP BY customer_id ORDER BY net DESC, customer_id LIMIT 5
@ordered SELECT customer_id, COUNT(*) FROM orders GROUP BY customer_id HAVING SUM(amount) / COUNT(*) > 100 ORDER BY customer_id
@ordered SELECT status FROM orders GROUP BY status ORDER BY SUM(amount) / COUNT(*) DESC, status
@ordered SELECT tier, MAX(balance) - MIN(balance) AS spread FROM customers GROUP BY tier ORDER BY spread, tier
@ordered SELECT kind, SUM(amount) / COUNT(*), ROUND(SUM(value), 2) FROM events GROUP BY kind ORDER BY kind
@ordered SELECT customer_id + 0, customer_id * 2 + COUNT(*) FROM orders GROUP BY customer_id ORDER BY customer_id
@ordered SELECT k DIV 1000 AS bucket, COUNT(*) * 100 / 7 FROM sbtest1 GROUP BY bucket ORDER BY bucket
-- Function spellings and NULL literals.
SELECT MOD(SUM(qty), 7), MOD(COUNT(*), 3), mod(SUM(amount), 0.7), ROUND(AVG(amount), +2) FROM orders
SELECT SUM(amount) / NULL, COUNT(*) + NULL, NULL - MAX(qty), COALESCE(NULL, MAX(qty)) FROM orders
SELECT round(avg(amount), 1), Floor(Sum(amount) / 7), ((SUM(qty))) * (2) FROM orders
