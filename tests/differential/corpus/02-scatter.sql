-- Queries that each shard runs on its own rows. The proxy only concatenates the results.

SELECT * FROM orders
SELECT * FROM customers
SELECT * FROM events
SELECT * FROM items_by_code
SELECT * FROM sbtest1
SELECT id, status FROM orders WHERE amount < 0
SELECT id, status FROM orders WHERE status = 'returned'
SELECT id, amount * 2, amount + qty, amount - 0.005 FROM orders WHERE qty IS NULL
SELECT id, qty * price, price / 4, amount / 3 FROM orders WHERE id < 50
SELECT id, -amount, ABS(qty), qty % 3, qty DIV 2 FROM orders
SELECT id, discount * 2, discount + amount, ROUND(discount, 2), TRUNCATE(discount, 1) FROM orders
SELECT id, ROUND(price, 1), FLOOR(price), CEIL(price), SIGN(amount) FROM orders
SELECT id, amount / 0, qty / 0 FROM orders WHERE id < 10
SELECT id, COALESCE(qty, -1), IFNULL(discount, 0), NULLIF(qty, 0) FROM orders
SELECT id, IF(qty > 0, 'pos', IF(qty < 0, 'neg', 'zero')) AS sign_text FROM orders
SELECT id, CASE WHEN amount < 0 THEN -amount ELSE amount END AS abs_amount FROM orders
SELECT id, CONCAT(status, '-', id), CONCAT_WS('/', tag, note) FROM orders
SELECT id, tag, LENGTH(tag), CHAR_LENGTH(tag), HEX(tag) FROM orders WHERE tag IS NOT NULL
SELECT id, UPPER(note), LOWER(note), REVERSE(note) FROM orders WHERE note <> ''
SELECT id, SUBSTRING(note, 2, 3), LEFT(note, 1), TRIM(note) FROM orders
SELECT id, DATE(created), YEAR(created), MONTH(created), DATE_FORMAT(created, '%Y-%m') FROM orders
SELECT id, DATEDIFF(ship_date, created), ship_date + INTERVAL 1 DAY FROM orders WHERE ship_date IS NOT NULL
SELECT id, created, TIMESTAMPDIFF(HOUR, created, '2025-01-01 00:00:00') FROM orders WHERE id > 350
SELECT id, CAST(amount AS CHAR), CAST(price AS DECIMAL(10,3)), CAST(qty AS SIGNED) FROM orders
SELECT id, CAST(tag AS BINARY) FROM orders WHERE id < 40
SELECT id, ratio, ratio * 1 FROM orders WHERE ratio IS NOT NULL AND id < 100
-- Filters.
SELECT id FROM orders WHERE tag = 'a'
SELECT id, tag FROM orders WHERE tag = 'e'
SELECT id, tag FROM orders WHERE tag = 's'
SELECT id, tag FROM orders WHERE tag = 'zoe'
SELECT id, tag FROM orders WHERE tag = '😀'
SELECT id, tag FROM orders WHERE tag = BINARY 'A'
SELECT id FROM orders WHERE tag = ''
SELECT id FROM orders WHERE tag IS NULL
SELECT id, tag FROM orders WHERE tag > 'b'
SELECT id, note FROM orders WHERE note LIKE 'caf%'
SELECT id, note FROM orders WHERE note LIKE '%e'
SELECT id, note FROM orders WHERE note = 'Gift'
SELECT id, name FROM customers WHERE name LIKE 'a%'
SELECT id, name FROM customers WHERE name LIKE '%é%'
SELECT id, name FROM customers WHERE name = 'emile'
SELECT id, name FROM customers WHERE name = ''
SELECT id, name FROM customers WHERE name IS NULL
SELECT id, name, name COLLATE utf8mb4_bin FROM customers WHERE name COLLATE utf8mb4_bin = 'Alice'
SELECT id, balance FROM customers WHERE balance BETWEEN -100 AND 100
SELECT id, country FROM customers WHERE country IS NULL OR country = 'ZZ'
SELECT id, birthday FROM customers WHERE birthday < '1960-01-01'
SELECT id, created FROM customers WHERE created >= '2024-06-01 00:00:00'
SELECT id, tier FROM customers WHERE tier = 'platinum'
SELECT id, score FROM customers WHERE score < 0
SELECT * FROM events WHERE kind = 'legacy'
SELECT id, value FROM events WHERE value > 900
SELECT id, value * 2, value / 8 FROM events WHERE value IS NOT NULL
SELECT id, at, day FROM events WHERE day = '2024-03-15'
SELECT id, label FROM events WHERE label LIKE '%eta%'
SELECT code, category FROM items_by_code WHERE category = 'beta'
SELECT code, price, stock FROM items_by_code WHERE stock IS NULL
SELECT code, weight FROM items_by_code WHERE weight > 70
SELECT id, k FROM sbtest1 WHERE k < 20
SELECT * FROM orders WHERE 1 = 0
SELECT id, status FROM orders WHERE id > 100 AND id < 120
SELECT id FROM orders WHERE id NOT IN (1, 2, 3) AND id < 10
SELECT id, created FROM orders WHERE created BETWEEN '2023-01-01' AND '2023-03-31'
SELECT id, amount FROM orders WHERE amount IN (10.00, 20.5, -1)
SELECT id FROM orders WHERE customer_id IS NULL
-- Statements without a table.
SELECT 1
SELECT 1 + 1, 'x', NULL, 2.50, -7, 1e3
SELECT CONCAT('é', 'ß', '😀'), CHAR_LENGTH('😀')
