-- LIMIT across shards. With a total ORDER BY the rows are fixed; without
-- one only the row count is defined (@count-only).

@ordered SELECT id, amount FROM orders ORDER BY id LIMIT 10
@ordered SELECT id, amount FROM orders ORDER BY id DESC LIMIT 10
@ordered SELECT id, amount FROM orders ORDER BY id LIMIT 0
@ordered SELECT id, amount FROM orders ORDER BY id LIMIT 1
@ordered SELECT id, amount FROM orders ORDER BY id LIMIT 400
@ordered SELECT id, amount FROM orders ORDER BY id LIMIT 1000
@ordered SELECT id, amount FROM orders ORDER BY id LIMIT 5, 10
@ordered SELECT id, amount FROM orders ORDER BY id LIMIT 10 OFFSET 5
@ordered SELECT id, amount FROM orders ORDER BY id LIMIT 395, 10
@ordered SELECT id, amount FROM orders ORDER BY id LIMIT 400, 10
@ordered SELECT id, amount FROM orders ORDER BY id LIMIT 10 OFFSET 1000
@ordered SELECT id, amount FROM orders ORDER BY amount, id LIMIT 15
@ordered SELECT id, amount FROM orders ORDER BY amount DESC, id LIMIT 15
@ordered SELECT id, amount FROM orders ORDER BY amount DESC, id LIMIT 20, 5
@ordered SELECT id, price FROM orders ORDER BY price DESC, id LIMIT 7
@ordered SELECT id, ratio FROM orders ORDER BY ratio, id LIMIT 12
@ordered SELECT id, discount FROM orders ORDER BY discount, id LIMIT 100, 20
@ordered SELECT id, created FROM orders ORDER BY created DESC, id LIMIT 25
@ordered SELECT id, tag FROM orders ORDER BY tag, id LIMIT 30
@ordered SELECT id, tag FROM orders ORDER BY tag DESC, id DESC LIMIT 30 OFFSET 30
@ordered SELECT id, note FROM orders ORDER BY note, id LIMIT 50, 10
@ordered SELECT id, qty FROM orders ORDER BY qty, id LIMIT 40
@ordered SELECT id FROM orders WHERE amount < 0 ORDER BY amount, id LIMIT 3
@ordered SELECT id FROM orders WHERE status = 'returned' ORDER BY id LIMIT 3, 100
@ordered SELECT id FROM orders WHERE id IN (1, 2, 3, 250, -3) ORDER BY id LIMIT 2
@ordered SELECT id, amount FROM orders WHERE 1 = 0 ORDER BY id LIMIT 5
@ordered SELECT id, name FROM customers ORDER BY name, id LIMIT 20
@ordered SELECT id, name FROM customers ORDER BY name DESC, id LIMIT 20
@ordered SELECT id, balance FROM customers ORDER BY balance, id LIMIT 10
@ordered SELECT id, score FROM customers ORDER BY score DESC, id LIMIT 10 OFFSET 10
@ordered SELECT id, created FROM customers ORDER BY created, id LIMIT 5
@ordered SELECT id, value FROM events ORDER BY value DESC, id LIMIT 10
@ordered SELECT id, at FROM events ORDER BY at, id LIMIT 25
@ordered SELECT id, at FROM events ORDER BY id LIMIT 15, 10
@ordered SELECT code, price FROM items_by_code ORDER BY price DESC, code LIMIT 10
@ordered SELECT code FROM items_by_code ORDER BY code LIMIT 10, 10
@ordered SELECT id, k FROM sbtest1 ORDER BY k DESC, id LIMIT 10
@ordered SELECT id FROM sbtest1 ORDER BY id LIMIT 490, 20
-- No total order: only the count is defined.
@count-only SELECT id, amount FROM orders LIMIT 10
@count-only SELECT * FROM orders LIMIT 0
@count-only SELECT * FROM orders LIMIT 5, 10
@count-only SELECT * FROM orders LIMIT 395, 10
@count-only SELECT id FROM orders WHERE status = 'paid' LIMIT 20
@count-only SELECT id FROM orders ORDER BY status LIMIT 20
@count-only SELECT * FROM events LIMIT 1000
@count-only SELECT code FROM items_by_code LIMIT 3
