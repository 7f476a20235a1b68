-- Key lookups: one shard or a few shards chosen from the shard key.

-- Integer keys, one row.
SELECT * FROM orders WHERE id = 1
SELECT * FROM orders WHERE id = 199
SELECT * FROM orders WHERE id = 200
SELECT * FROM orders WHERE id = 390
SELECT * FROM orders WHERE id = -5
SELECT * FROM orders WHERE id = -10
SELECT id, status, amount FROM orders WHERE id = 0
SELECT * FROM orders WHERE id = 999999
SELECT * FROM customers WHERE id = 1
SELECT * FROM customers WHERE id = 99
SELECT * FROM customers WHERE id = 20010
SELECT name, tier, balance FROM customers WHERE id = 20150
SELECT * FROM events WHERE id = 7
SELECT * FROM events WHERE id = 1000100
SELECT * FROM events WHERE id = 1000300
SELECT * FROM events WHERE id = 500000
SELECT * FROM sbtest1 WHERE id = 10
SELECT c FROM sbtest1 WHERE id = 499
-- Other spellings of the key condition.
SELECT id, amount FROM orders WHERE id = '17'
SELECT id, amount FROM orders WHERE id = '0017'
SELECT id, amount FROM orders WHERE `id` = 12
SELECT id, amount FROM sbtest.orders WHERE id = 13
SELECT o.id, o.amount FROM orders AS o WHERE o.id = 14
SELECT o.id, o.amount FROM orders o WHERE o.`id` = 15
SELECT id, amount FROM orders WHERE 16 = id
SELECT id, amount FROM orders WHERE (id = 18)
SELECT id, amount FROM orders WHERE id = 19 AND status <> 'nothing'
SELECT id, amount FROM orders WHERE status <> 'nothing' AND id = 20
SELECT id, price FROM orders WHERE id = 5.0
SELECT id, price FROM orders WHERE id = 1e1
SELECT id, price FROM orders WHERE id = 0x10
SELECT id, price FROM orders WHERE id = -3 AND qty IS NOT NULL
SELECT id FROM orders WHERE id = 3 AND id = 4
SELECT id FROM orders WHERE id = NULL
SELECT id FROM orders WHERE id IS NULL
SELECT id, tag FROM orders WHERE id <=> 21
SELECT id, tag FROM orders WHERE id = 2 + 20
-- IN lists over several shards.
SELECT id, status FROM orders WHERE id IN (1, 2, 3, 250, -3)
SELECT * FROM orders WHERE id IN (5)
SELECT id, note FROM orders WHERE id IN ('7', '8', 390)
SELECT id, amount FROM orders WHERE id IN (1, 1, 2, 2)
SELECT id, amount FROM orders WHERE id IN (100000, 200000)
SELECT id, amount FROM orders WHERE id IN (-1, 1) AND amount > 0
SELECT id, amount FROM orders WHERE id = 30 OR id = 31
SELECT id, amount FROM orders WHERE id = 32 OR id = 250 OR id = -7
SELECT name FROM customers WHERE id IN (1, 150, 20001, 20150)
SELECT id, kind FROM events WHERE id IN (3, 1000003, 1000299)
SELECT id, k FROM sbtest1 WHERE id IN (1, 100, 200, 300, 400, 500)
SELECT id, amount FROM orders WHERE id BETWEEN 10 AND 12
SELECT COUNT(*) FROM orders WHERE id IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
-- String keys.
SELECT * FROM items_by_code WHERE code = 'IT-0001'
SELECT * FROM items_by_code WHERE code = 'IT-0230'
SELECT * FROM items_by_code WHERE code = 'ÄÖ-1'
SELECT * FROM items_by_code WHERE code = 'ß-1'
SELECT * FROM items_by_code WHERE code = '📦-2'
SELECT * FROM items_by_code WHERE code = 'quote''1'
SELECT * FROM items_by_code WHERE code = 'with space'
SELECT * FROM items_by_code WHERE code = "Mixed-Case"
SELECT * FROM items_by_code WHERE code = '0'
SELECT * FROM items_by_code WHERE code = 'no-such-code'
SELECT * FROM items_by_code WHERE code IN ('IT-0002', 'IT-0100', 'ÄÖ-1', '中-1')
SELECT code, price FROM items_by_code WHERE code IN ('x', 'y', 'z', 'Z-last')
-- The collation makes these equal to stored keys whose bytes differ.
SELECT * FROM items_by_code WHERE code = 'it-0012'
SELECT * FROM items_by_code WHERE code = 'IT-0012 '
SELECT code, name FROM items_by_code WHERE code IN ('it-0016', 'it-0012')
SELECT code, name FROM items_by_code WHERE code = 'MIXED-CASE'
SELECT code, name FROM items_by_code WHERE code = 'ao-2'
SELECT code, name FROM items_by_code WHERE code = 'S-1' OR code = 'e-1'
-- Integer keys given as strings that MariaDB converts with a warning.
SELECT id, amount FROM orders WHERE id = ' 17'
SELECT id, amount FROM orders WHERE id = '17abc'
