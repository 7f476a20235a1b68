-- Statements that fail on one server must fail through the proxy with the same error code.

SELECT nosuch FROM orders
SELECT nosuch FROM orders WHERE id = 1
SELECT * FROM orders WHERE nosuch = 1
SELECT * FROM orders WHERE id = 1 AND nosuch = 2
SELECT id FROM orders ORDER BY nosuch
SELECT status, COUNT(*) FROM orders GROUP BY nosuch
SELECT o.id FROM orders AS o WHERE x.id = 1
SELECT nosuch FROM countries
SELECT nosuch FROM items_by_code WHERE code = 'IT-0001'
SELECT * FROM nosuch_table
SELECT * FROM nosuch_db.orders
SELECT * FRM orders
SELECT * FROM orders WHERE
SELECT * FROM orders WHERE id =
SELECT id FROM orders ORDER BY
SELECT id, FROM orders
SELECT * FROM orders LIMIT -1
SELECT * FROM orders LIMIT 'a'
SELECT COUNT(*) FROM orders GROUP BY status HAVING
SELECT id FROM orders WHERE id IN ()
SELECT SUM(id, amount) FROM orders
SELECT id FROM orders ORDER BY 9
SELECT * FROM countries WHERE
SELEC 1
