-- ORDER BY across shards. @ordered only where the sort keys make the order total.

@ordered SELECT id, amount FROM orders ORDER BY id
@ordered SELECT id, amount FROM orders ORDER BY id DESC
@ordered SELECT * FROM orders ORDER BY id
@ordered SELECT id, amount FROM orders ORDER BY amount, id
@ordered SELECT id, amount FROM orders ORDER BY amount DESC, id DESC
@ordered SELECT id, amount FROM orders ORDER BY amount DESC, id
@ordered SELECT id, qty FROM orders ORDER BY qty, id
@ordered SELECT id, qty FROM orders ORDER BY qty DESC, id
@ordered SELECT id, price FROM orders ORDER BY price, id
@ordered SELECT id, price FROM orders ORDER BY price DESC, id DESC
@ordered SELECT id, ratio FROM orders ORDER BY ratio, id
@ordered SELECT id, ratio FROM orders ORDER BY ratio DESC, id
@ordered SELECT id, discount FROM orders ORDER BY discount, id
@ordered SELECT id, discount FROM orders ORDER BY discount DESC, id
@ordered SELECT id, created FROM orders ORDER BY created, id
@ordered SELECT id, created FROM orders ORDER BY created DESC, id
@ordered SELECT id, ship_date FROM orders ORDER BY ship_date, id
@ordered SELECT id, ship_date FROM orders ORDER BY ship_date DESC, id DESC
@ordered SELECT id, status FROM orders ORDER BY status, id
@ordered SELECT id, status, amount FROM orders ORDER BY status DESC, amount, id
@ordered SELECT id, tag FROM orders ORDER BY tag, id
@ordered SELECT id, tag FROM orders ORDER BY tag DESC, id
@ordered SELECT id, note FROM orders ORDER BY note, id
@ordered SELECT id, note FROM orders ORDER BY note DESC, id DESC
@ordered SELECT id, tag, note FROM orders ORDER BY tag, note, id
@ordered SELECT id, customer_id FROM orders ORDER BY customer_id, id
@ordered SELECT id, customer_id, amount FROM orders ORDER BY customer_id DESC, amount DESC, id
-- Sort keys that are not selected, expressions, aliases and positions.
@ordered SELECT id FROM orders ORDER BY amount, id
@ordered SELECT id, status FROM orders ORDER BY created DESC, id
@ordered SELECT id, amount * qty AS total FROM orders ORDER BY total, id
@ordered SELECT id, amount * qty FROM orders ORDER BY amount * qty DESC, id
@ordered SELECT id, amount FROM orders ORDER BY 2, 1
@ordered SELECT id, amount FROM orders ORDER BY -amount, id
@ordered SELECT id, tag FROM orders ORDER BY LOWER(tag), id
@ordered SELECT id, tag FROM orders ORDER BY tag COLLATE utf8mb4_bin, id
@ordered SELECT id, tag FROM orders ORDER BY BINARY tag, id
@ordered SELECT id, note FROM orders ORDER BY CHAR_LENGTH(note), note, id
@ordered SELECT id, qty FROM orders ORDER BY qty IS NULL, qty, id
@ordered SELECT id, amount FROM orders WHERE amount < 0 ORDER BY amount, id
@ordered SELECT id, amount FROM orders WHERE status = 'returned' ORDER BY amount DESC, id
@ordered SELECT id, amount FROM orders WHERE id IN (1, 2, 3, 250, -3) ORDER BY id DESC
@ordered SELECT id, amount FROM orders WHERE 1 = 0 ORDER BY id
-- Other tables and column types.
@ordered SELECT id, name FROM customers ORDER BY name, id
@ordered SELECT id, name FROM customers ORDER BY name DESC, id
@ordered SELECT id, name, country FROM customers ORDER BY country, name, id
@ordered SELECT id, balance FROM customers ORDER BY balance, id
@ordered SELECT id, balance FROM customers ORDER BY balance DESC, id
@ordered SELECT id, credit FROM customers ORDER BY credit, id
@ordered SELECT id, score FROM customers ORDER BY score, id
@ordered SELECT id, birthday FROM customers ORDER BY birthday DESC, id
@ordered SELECT id, tier, created FROM customers ORDER BY tier, created, id
@ordered SELECT id, kind, value FROM events ORDER BY value, id
@ordered SELECT id, kind, value FROM events ORDER BY value DESC, id
@ordered SELECT id, at FROM events ORDER BY at, id
@ordered SELECT id, amount FROM events ORDER BY amount DESC, id
@ordered SELECT id, label FROM events ORDER BY label, id
@ordered SELECT id, kind FROM events ORDER BY kind, id DESC
@ordered SELECT code, name FROM items_by_code ORDER BY code
@ordered SELECT code, name FROM items_by_code ORDER BY code DESC
@ordered SELECT code, price FROM items_by_code ORDER BY price, code
@ordered SELECT code, category FROM items_by_code ORDER BY category, code
@ordered SELECT code, weight FROM items_by_code ORDER BY weight DESC, code
@ordered SELECT code, added, stock FROM items_by_code ORDER BY added, stock, code
@ordered SELECT id, k FROM sbtest1 ORDER BY k, id
@ordered SELECT id, c FROM sbtest1 ORDER BY c, id
-- Orders that are not total: compared as multisets, which still checks the rows.
SELECT id, status FROM orders ORDER BY status
SELECT tag FROM orders ORDER BY tag
SELECT id, created FROM orders ORDER BY created
