-- Aggregates without GROUP BY: the proxy combines one partial result per shard.

SELECT COUNT(*) FROM orders
SELECT COUNT(*) FROM customers
SELECT COUNT(*) FROM events
SELECT COUNT(*) FROM items_by_code
SELECT COUNT(*) FROM sbtest1
SELECT COUNT(1), COUNT(id) FROM orders
SELECT COUNT(qty), COUNT(discount), COUNT(ship_date), COUNT(tag), COUNT(ratio) FROM orders
SELECT COUNT(*), COUNT(customer_id) FROM orders WHERE amount < 0
SELECT COUNT(*) FROM orders WHERE status = 'returned'
SELECT COUNT(*) FROM orders WHERE 1 = 0
SELECT COUNT(*), SUM(amount), MIN(amount), MAX(amount), AVG(amount) FROM orders WHERE 1 = 0
SELECT COUNT(qty), SUM(qty), AVG(qty) FROM orders WHERE qty IS NULL
SELECT SUM(amount) FROM orders
SELECT SUM(qty) FROM orders
SELECT SUM(price) FROM orders
SELECT SUM(discount) FROM orders
SELECT SUM(amount), SUM(qty), SUM(price), SUM(discount) FROM orders WHERE id > 100
SELECT SUM(amount) FROM orders WHERE amount < 0
SELECT SUM(amount) FROM orders WHERE status = 'returned'
SELECT MIN(amount), MAX(amount) FROM orders
SELECT MIN(qty), MAX(qty) FROM orders
SELECT MIN(price), MAX(price) FROM orders
SELECT MIN(ratio), MAX(ratio) FROM orders
SELECT MIN(discount), MAX(discount) FROM orders
SELECT MIN(created), MAX(created) FROM orders
SELECT MIN(ship_date), MAX(ship_date) FROM orders
SELECT MIN(status), MAX(status) FROM orders
SELECT MIN(id), MAX(id) FROM orders
SELECT MIN(customer_id), MAX(customer_id) FROM orders
SELECT AVG(amount) FROM orders
SELECT AVG(qty) FROM orders
SELECT AVG(price) FROM orders
SELECT AVG(discount) FROM orders
SELECT AVG(id) FROM orders
SELECT AVG(amount), AVG(qty), AVG(price) FROM orders WHERE status = 'paid'
SELECT AVG(amount) FROM orders WHERE amount < 0
SELECT COUNT(*), SUM(amount), AVG(amount), MIN(created), MAX(ship_date) FROM orders WHERE id IN (1, 2, 3, 250, -3)
SELECT COUNT(*), SUM(amount), AVG(amount) FROM orders WHERE id = 42
-- Aggregates of expressions and expressions of aggregates.
SELECT SUM(amount * qty) FROM orders
SELECT SUM(qty * price), AVG(price * 2) FROM orders
SELECT MAX(amount - discount), MIN(amount + discount) FROM orders
SELECT SUM(CASE WHEN status = 'paid' THEN amount ELSE 0 END) FROM orders
SELECT SUM(IF(qty IS NULL, 1, 0)), COUNT(*) - COUNT(qty) FROM orders
SELECT SUM(amount) / COUNT(*) FROM orders
SELECT MAX(amount) - MIN(amount) FROM orders
SELECT COUNT(*) * 2, SUM(qty) + 1 FROM orders
SELECT ROUND(AVG(amount), 1), ROUND(SUM(price) / 8, 3) FROM orders
SELECT SUM(amount) AS total, COUNT(*) AS n FROM orders
SELECT COUNT(*) AS `count`, MAX(created) AS latest FROM orders
-- Other tables and types.
SELECT COUNT(name), COUNT(country), COUNT(balance), COUNT(score), COUNT(birthday) FROM customers
SELECT SUM(balance), AVG(balance), MIN(balance), MAX(balance) FROM customers
SELECT SUM(credit), AVG(credit), MIN(credit), MAX(credit) FROM customers
SELECT SUM(score), AVG(score), MIN(score), MAX(score) FROM customers
SELECT MIN(created), MAX(created), MIN(birthday), MAX(birthday) FROM customers
SELECT MIN(tier), MAX(tier) FROM customers
SELECT SUM(balance) FROM customers WHERE tier = 'Platinum'
SELECT COUNT(*), SUM(value), AVG(value), MIN(value), MAX(value) FROM events
SELECT SUM(amount), AVG(amount), MIN(amount), MAX(amount) FROM events
SELECT MIN(at), MAX(at), MIN(day), MAX(day) FROM events
SELECT COUNT(*), SUM(amount) FROM events WHERE kind = 'legacy'
SELECT MIN(kind), MAX(kind), MIN(label), MAX(label) FROM events
SELECT SUM(price), AVG(price), SUM(weight), AVG(weight), SUM(stock), AVG(stock) FROM items_by_code
SELECT MIN(code), MAX(code), MIN(category), MAX(category) FROM items_by_code
SELECT SUM(k), MIN(k), MAX(k), AVG(k) FROM sbtest1
