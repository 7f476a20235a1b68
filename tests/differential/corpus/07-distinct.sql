-- DISTINCT and COUNT(DISTINCT) across shards: duplicates on different
-- shards must collapse into one row. Columns whose equal values have
-- several spellings (orders.tag, customers.name) are only counted.

SELECT DISTINCT status FROM orders
@ordered SELECT DISTINCT status FROM orders ORDER BY status
@ordered SELECT DISTINCT status FROM orders ORDER BY status DESC
@ordered SELECT DISTINCT status, customer_id FROM orders ORDER BY status, customer_id
@ordered SELECT DISTINCT customer_id FROM orders ORDER BY customer_id
@ordered SELECT DISTINCT customer_id FROM orders ORDER BY customer_id DESC LIMIT 10
@ordered SELECT DISTINCT qty FROM orders ORDER BY qty
@ordered SELECT DISTINCT amount FROM orders WHERE amount < 0 ORDER BY amount
@ordered SELECT DISTINCT price FROM orders ORDER BY price
@ordered SELECT DISTINCT ratio FROM orders ORDER BY ratio
@ordered SELECT DISTINCT created FROM orders WHERE created < '2022-03-01' ORDER BY created
@ordered SELECT DISTINCT DATE(created) FROM orders ORDER BY 1
@ordered SELECT DISTINCT YEAR(created), status FROM orders ORDER BY 1, 2
@ordered SELECT DISTINCT ship_date FROM orders ORDER BY ship_date LIMIT 15
@ordered SELECT DISTINCT qty % 5 FROM orders ORDER BY 1
@ordered SELECT DISTINCT status FROM orders WHERE 1 = 0 ORDER BY status
@ordered SELECT DISTINCT status FROM orders WHERE id IN (1, 2, 3, 250, -3) ORDER BY status
SELECT DISTINCT status, qty > 10 FROM orders
@ordered SELECT DISTINCT tier FROM customers ORDER BY tier
@ordered SELECT DISTINCT country FROM customers ORDER BY country
@ordered SELECT DISTINCT kind FROM events ORDER BY kind
@ordered SELECT DISTINCT kind, user_id FROM events ORDER BY kind, user_id
@ordered SELECT DISTINCT category FROM items_by_code ORDER BY category
@ordered SELECT DISTINCT category FROM items_by_code ORDER BY category DESC LIMIT 3
@ordered SELECT DISTINCT k FROM sbtest1 ORDER BY k LIMIT 50
SELECT DISTINCT k FROM sbtest1
@count-only SELECT DISTINCT status FROM orders LIMIT 2
-- COUNT(DISTINCT ...).
SELECT COUNT(DISTINCT status) FROM orders
SELECT COUNT(DISTINCT customer_id) FROM orders
SELECT COUNT(DISTINCT qty), COUNT(DISTINCT price), COUNT(DISTINCT ratio) FROM orders
SELECT COUNT(DISTINCT tag) FROM orders
SELECT COUNT(DISTINCT note) FROM orders
SELECT COUNT(DISTINCT BINARY tag) FROM orders
SELECT COUNT(DISTINCT status, customer_id) FROM orders
SELECT COUNT(DISTINCT amount) FROM orders WHERE amount < 0
SELECT COUNT(DISTINCT status) FROM orders WHERE 1 = 0
SELECT COUNT(DISTINCT name), COUNT(DISTINCT country) FROM customers
SELECT COUNT(DISTINCT kind), COUNT(DISTINCT label), COUNT(DISTINCT day) FROM events
SELECT COUNT(DISTINCT c), COUNT(DISTINCT k) FROM sbtest1
SELECT COUNT(DISTINCT category) FROM items_by_code
@ordered SELECT status, COUNT(DISTINCT customer_id) FROM orders GROUP BY status ORDER BY status
@ordered SELECT status, COUNT(DISTINCT tag) FROM orders GROUP BY status ORDER BY status
@ordered SELECT kind, COUNT(DISTINCT user_id) FROM events GROUP BY kind ORDER BY kind
SELECT SUM(DISTINCT qty), AVG(DISTINCT qty) FROM orders

-- Collation-equal values are one DISTINCT value ('alice', 'Alice', 'ALICE'; 'padded ' and
-- ' padded' differ, 'padded ' and 'padded' would not). Which spelling the server shows is not
-- defined, so only the row count is compared.
@count-only SELECT DISTINCT name FROM customers
@count-only SELECT DISTINCT name, tier FROM customers
@count-only SELECT DISTINCT name FROM customers WHERE name LIKE '%padded%'
@count-only SELECT DISTINCT tag FROM orders

-- COUNT(DISTINCT) in groups, where the same (group, value) pair sits on several shards.
@ordered SELECT tier, COUNT(DISTINCT country) FROM customers GROUP BY tier ORDER BY tier
@ordered SELECT tier, COUNT(DISTINCT name) AS n FROM customers GROUP BY tier ORDER BY n DESC, tier
@ordered SELECT status, COUNT(DISTINCT qty) FROM orders WHERE amount > 0 GROUP BY status ORDER BY status LIMIT 2
-- Several aggregates over DISTINCT values beside plain aggregates: the
-- shards also group by every argument, the proxy counts each list once.
SELECT COUNT(DISTINCT status), COUNT(DISTINCT customer_id), COUNT(*), SUM(amount), MIN(created) FROM orders
SELECT COUNT(DISTINCT name), COUNT(DISTINCT tier, country), AVG(balance) FROM customers
@ordered SELECT status, COUNT(DISTINCT customer_id), COUNT(DISTINCT tag), COUNT(*), SUM(qty) FROM orders GROUP BY status ORDER BY status
@ordered SELECT tier, COUNT(DISTINCT name), COUNT(DISTINCT country), MAX(balance) FROM customers GROUP BY tier ORDER BY tier
@ordered SELECT kind, COUNT(DISTINCT label), SUM(DISTINCT amount), AVG(DISTINCT value) FROM events GROUP BY kind ORDER BY kind
SELECT SUM(DISTINCT amount), AVG(DISTINCT amount), SUM(DISTINCT discount), AVG(DISTINCT discount) FROM orders
SELECT SUM(DISTINCT price), AVG(DISTINCT qty), SUM(DISTINCT qty) FROM orders WHERE id < 120
SELECT SUM(DISTINCT qty), AVG(DISTINCT qty), COUNT(DISTINCT qty) FROM orders WHERE 1 = 0
SELECT COUNT(DISTINCT name) * 100 / COUNT(*), COUNT(DISTINCT country) - 1 FROM customers
@ordered SELECT customer_id, COUNT(DISTINCT status) AS n FROM orders GROUP BY customer_id HAVING COUNT(DISTINCT status) > 2 ORDER BY customer_id
@ordered SELECT country, COUNT(DISTINCT tier) AS tiers FROM customers GROUP BY country ORDER BY tiers DESC, country LIMIT 4
@ordered SELECT COUNT(DISTINCT k) AS n FROM sbtest1 WHERE id > 100 ORDER BY n LIMIT 1
SELECT COUNT(DISTINCT c, k), COUNT(DISTINCT k, c) FROM sbtest1
SELECT COUNT(DISTINCT LOWER(name)), COUNT(DISTINCT name) FROM customers
-- DISTINCT aggregates of constants: a lone number is no GROUP BY position.
SELECT COUNT(DISTINCT 1), COUNT(DISTINCT status, 1), SUM(DISTINCT 2), AVG(DISTINCT 5) FROM orders
SELECT COUNT(DISTINCT 1), COUNT(*), SUM(DISTINCT 3) FROM orders WHERE 1 = 0
@ordered SELECT status, COUNT(DISTINCT 'x'), COUNT(DISTINCT NULL) FROM orders GROUP BY status ORDER BY status
