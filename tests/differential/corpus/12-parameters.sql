-- Literal kinds that the prepared-statement pass binds as parameters (see prepared.py):
-- strings with escapes, integers beyond the signed 64-bit range, long decimals,
-- doubles, negative numbers, NULL and typed temporal literals, also as shard keys.

SELECT id, name FROM customers WHERE name = 'back\\slash'
SELECT id, name FROM customers WHERE name = 'O\'Brien'
SELECT id, name FROM customers WHERE name = "O'Brien" OR name = 'O''Brien'
SELECT id, name FROM customers WHERE name LIKE 'back\\\\%'
SELECT id, name FROM customers WHERE name LIKE '%\\\\s%' OR name LIKE 'O\'%'
SELECT * FROM items_by_code WHERE code = 'quote\'1'
SELECT code, name FROM items_by_code WHERE code LIKE 'IT-00_1' AND code NOT LIKE '%\_%'
SELECT code, name FROM items_by_code WHERE code IN ('IT-0001', 'quote\'1', 'with space', '\\')
SELECT id, note FROM orders WHERE note <> 'line\nbreak' AND id < 20
SELECT id FROM orders WHERE id < 18446744073709551615 AND id > 380
SELECT id, amount FROM orders WHERE id = 18446744073709551615
SELECT id, amount FROM orders WHERE id = 9223372036854775807
SELECT id FROM orders WHERE id > -9223372036854775808 AND id < -5
SELECT id FROM orders WHERE id > 99999999999999999999999999999 OR id < -99999999999999999999999999999
SELECT id, amount FROM orders WHERE amount = 47.810000000000000000000000000000
SELECT id, amount FROM orders WHERE amount BETWEEN -10.5 AND 10.25
SELECT id, amount FROM orders WHERE id = 17.0
SELECT id, amount FROM orders WHERE id IN (17.0, 18.00, 19.5)
SELECT id, amount FROM orders WHERE id = 1.7e1 OR id = 1.8E+1
SELECT id, price FROM orders WHERE price = 1.185e2
SELECT id, price FROM orders WHERE price > 4.5e2 OR price < 1.5e1
SELECT id, value FROM events WHERE value BETWEEN -2.5e1 AND 2.5E1
SELECT id, discount FROM orders WHERE discount > .5 AND discount < 1.
SELECT id, qty FROM orders WHERE qty = -2 OR qty = - 3 OR qty = -(4)
SELECT id, amount FROM orders WHERE id = -(-5)
SELECT id FROM orders WHERE id = 07
SELECT id FROM orders WHERE qty <> NULL
SELECT id, qty FROM orders WHERE qty <=> NULL AND id < 100
SELECT id FROM orders WHERE NULL IS NULL AND id < 10
SELECT id, day FROM events WHERE day = DATE '2024-03-15'
SELECT id, day FROM events WHERE day BETWEEN DATE '2024-03-01' AND DATE '2024-03-31'
SELECT id, created FROM orders WHERE created >= TIMESTAMP '2024-06-01 00:00:00' AND created < TIMESTAMP '2024-06-15 12:30:00.5'
SELECT id, created FROM orders WHERE TIME(created) < TIME '01:30:00'
SELECT id, created FROM orders WHERE TIME(created) > TIME '22:00:00.25' AND TIME(created) <> TIME '-1:00:00'
SELECT id, ship_date FROM orders WHERE ship_date IN (DATE '2024-10-15', DATE '2022-07-26', DATE '1999-01-01')
SELECT id, birthday FROM customers WHERE birthday BETWEEN DATE '1960-01-01' AND DATE '1970-12-31'
SELECT id, at FROM events WHERE at < TIMESTAMP '2024-06-01 00:00:00.000001' AND id > 1000200
SELECT id, at FROM events WHERE id = 1000100 AND at > DATE '2000-01-01'
@ordered SELECT id, amount FROM orders WHERE id >= 100 ORDER BY id LIMIT 3 OFFSET 2
@ordered SELECT id, amount FROM orders WHERE amount > -1.5 AND status <> 'x' ORDER BY amount DESC, id LIMIT 4, 3
@ordered SELECT status, COUNT(*) FROM orders WHERE created > TIMESTAMP '2023-01-01 00:00:00' GROUP BY status HAVING COUNT(*) > 1.5 AND MIN(amount) > -1e9 ORDER BY status
@ordered SELECT tier, SUM(balance) FROM customers WHERE name <> 'back\\slash' GROUP BY tier HAVING SUM(balance) BETWEEN -1000000.5 AND 1e12 ORDER BY tier
