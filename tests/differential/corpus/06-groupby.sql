-- GROUP BY across shards: groups that several shards hold are merged.
-- orders.tag groups spellings that are equal under utf8mb4_general_ci, so
-- those queries select no tag value (which spelling a group shows is not
-- defined on one server either).

SELECT status, COUNT(*) FROM orders GROUP BY status
@ordered SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status
@ordered SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status DESC
@ordered SELECT status, COUNT(*), SUM(amount), MIN(amount), MAX(amount), AVG(amount) FROM orders GROUP BY status ORDER BY status
@ordered SELECT status, SUM(qty), AVG(qty), SUM(price), AVG(price) FROM orders GROUP BY status ORDER BY status
@ordered SELECT status, SUM(discount), AVG(discount), COUNT(discount) FROM orders GROUP BY status ORDER BY status
@ordered SELECT status, MIN(created), MAX(created), MIN(ship_date), MAX(ship_date) FROM orders GROUP BY status ORDER BY status
@ordered SELECT status, MIN(ratio), MAX(ratio) FROM orders GROUP BY status ORDER BY status
@ordered SELECT status, COUNT(*) AS n FROM orders GROUP BY status ORDER BY n, status
@ordered SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY COUNT(*) DESC, status
@ordered SELECT status, SUM(amount) AS total FROM orders GROUP BY status ORDER BY total DESC
@ordered SELECT status, SUM(amount) FROM orders GROUP BY status ORDER BY SUM(amount)
@ordered SELECT status, AVG(amount) AS a FROM orders GROUP BY status ORDER BY a
@ordered SELECT status, COUNT(*) FROM orders WHERE amount < 0 GROUP BY status ORDER BY status
@ordered SELECT status, COUNT(*) FROM orders WHERE 1 = 0 GROUP BY status ORDER BY status
@ordered SELECT status, COUNT(*) FROM orders WHERE id IN (1, 2, 3, 250, -3) GROUP BY status ORDER BY status
@ordered SELECT status, COUNT(*) FROM orders WHERE id = 77 GROUP BY status ORDER BY status
-- Two grouping columns and NULL groups.
@ordered SELECT status, customer_id, COUNT(*) FROM orders GROUP BY status, customer_id ORDER BY status, customer_id
@ordered SELECT customer_id, status, SUM(amount) FROM orders GROUP BY customer_id, status ORDER BY customer_id DESC, status DESC
@ordered SELECT qty, COUNT(*), SUM(amount) FROM orders GROUP BY qty ORDER BY qty
@ordered SELECT qty, COUNT(*) FROM orders GROUP BY qty ORDER BY qty DESC
@ordered SELECT ship_date IS NULL, COUNT(*) FROM orders GROUP BY ship_date IS NULL ORDER BY 1
@ordered SELECT YEAR(created) AS y, COUNT(*), SUM(amount) FROM orders GROUP BY y ORDER BY y
@ordered SELECT YEAR(created), MONTH(created), COUNT(*) FROM orders GROUP BY YEAR(created), MONTH(created) ORDER BY 1, 2
@ordered SELECT DATE(created) AS d, COUNT(*) FROM orders GROUP BY d ORDER BY d
@ordered SELECT created, COUNT(*) FROM orders GROUP BY created ORDER BY created
@ordered SELECT qty % 3 AS r, COUNT(*) FROM orders GROUP BY r ORDER BY r
@ordered SELECT amount < 0 AS refund, COUNT(*), SUM(amount) FROM orders GROUP BY refund ORDER BY refund
-- Case- and accent-insensitive string groups: only aggregates are selected.
@ordered SELECT COUNT(*) FROM orders GROUP BY tag ORDER BY tag
@ordered SELECT COUNT(*), SUM(amount) FROM orders GROUP BY tag ORDER BY tag DESC
SELECT COUNT(*), MIN(id), MAX(id) FROM orders GROUP BY tag
@ordered SELECT COUNT(*), MIN(id) FROM orders GROUP BY note ORDER BY note
@ordered SELECT LOWER(tag) = 'a' AS is_a, COUNT(*) FROM orders GROUP BY is_a ORDER BY is_a
@ordered SELECT COUNT(*), SUM(balance) FROM customers GROUP BY name ORDER BY name
-- Mixed-case groups with one spelling each.
@ordered SELECT tier, COUNT(*), SUM(balance), AVG(balance) FROM customers GROUP BY tier ORDER BY tier
@ordered SELECT tier, MIN(score), MAX(score), AVG(score), SUM(score) FROM customers GROUP BY tier ORDER BY tier DESC
@ordered SELECT tier, SUM(credit), AVG(credit) FROM customers GROUP BY tier ORDER BY tier
@ordered SELECT country, COUNT(*) FROM customers GROUP BY country ORDER BY country
@ordered SELECT country, tier, COUNT(*) FROM customers GROUP BY country, tier ORDER BY country, tier
@ordered SELECT kind, COUNT(*), SUM(value), AVG(value), MIN(at), MAX(at) FROM events GROUP BY kind ORDER BY kind
@ordered SELECT kind, SUM(amount), AVG(amount) FROM events GROUP BY kind ORDER BY kind
@ordered SELECT kind, user_id, COUNT(*) FROM events GROUP BY kind, user_id ORDER BY kind, user_id
@ordered SELECT day, COUNT(*) FROM events GROUP BY day ORDER BY day
@ordered SELECT category, COUNT(*), SUM(price), AVG(price), SUM(weight) FROM items_by_code GROUP BY category ORDER BY category
@ordered SELECT category, MIN(code), MAX(code) FROM items_by_code GROUP BY category ORDER BY category
@ordered SELECT k, COUNT(*) FROM sbtest1 GROUP BY k ORDER BY k
-- HAVING.
@ordered SELECT status, COUNT(*) FROM orders GROUP BY status HAVING COUNT(*) > 70 ORDER BY status
@ordered SELECT status, COUNT(*) AS n FROM orders GROUP BY status HAVING n > 70 ORDER BY status
@ordered SELECT status, SUM(amount) AS total FROM orders GROUP BY status HAVING total < 50000 ORDER BY status
@ordered SELECT status FROM orders GROUP BY status HAVING SUM(qty) > 1000 ORDER BY status
@ordered SELECT status, AVG(amount) FROM orders GROUP BY status HAVING AVG(amount) > 0 AND COUNT(*) < 130 ORDER BY status
@ordered SELECT status, COUNT(*) FROM orders GROUP BY status HAVING MIN(amount) < 0 OR MAX(qty) > 39 ORDER BY status
@ordered SELECT status, COUNT(*) FROM orders GROUP BY status HAVING status <> 'paid' ORDER BY status
@ordered SELECT customer_id, COUNT(*) AS n FROM orders GROUP BY customer_id HAVING n >= 3 ORDER BY customer_id
@ordered SELECT qty, SUM(amount) FROM orders GROUP BY qty HAVING SUM(amount) IS NOT NULL AND qty IS NULL ORDER BY qty
@ordered SELECT status, COUNT(*) FROM orders GROUP BY status HAVING COUNT(*) > 1000 ORDER BY status
@ordered SELECT kind, COUNT(*) FROM events GROUP BY kind HAVING COUNT(*) BETWEEN 10 AND 50 ORDER BY kind
@ordered SELECT tier, AVG(balance) AS a FROM customers GROUP BY tier HAVING a > 7000 ORDER BY tier
-- GROUP BY with LIMIT.
@ordered SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status LIMIT 2
@ordered SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status LIMIT 1, 2
@ordered SELECT customer_id, SUM(amount) AS total FROM orders GROUP BY customer_id ORDER BY total DESC, customer_id LIMIT 10
@ordered SELECT customer_id, COUNT(*) FROM orders GROUP BY customer_id ORDER BY customer_id LIMIT 20 OFFSET 10
@ordered SELECT k, COUNT(*) AS n FROM sbtest1 GROUP BY k ORDER BY n DESC, k LIMIT 5
@count-only SELECT status, COUNT(*) FROM orders GROUP BY status LIMIT 3

-- Groups of collation-equal strings, trailing spaces included, across two keys: only the
-- number of groups is compared, since the spelling each group shows is not defined.
@count-only SELECT name, tier, COUNT(*) FROM customers GROUP BY name, tier
@count-only SELECT tier, name, COUNT(*) FROM customers GROUP BY tier, name ORDER BY tier DESC, name DESC

-- HAVING on group keys alone runs on the shards, under the column's collation.
@ordered SELECT tier, COUNT(*) FROM customers GROUP BY tier HAVING tier = 'SILVER' ORDER BY tier
@ordered SELECT tier, COUNT(*) AS n FROM customers GROUP BY tier HAVING tier <> 'gold' AND n > 1 ORDER BY tier
@ordered SELECT status, SUM(qty) FROM orders GROUP BY status HAVING status LIKE 'p%' ORDER BY status
-- HAVING that mixes conditions on group keys (computed by the shards, under
-- the column's collation) with conditions on aggregates (computed after the merge).
@ordered SELECT tier, COUNT(*) AS n FROM customers GROUP BY tier HAVING tier <> 'GOLD' AND n > 1 ORDER BY tier
@ordered SELECT country, SUM(balance) FROM customers GROUP BY country HAVING country IN ('fr', 'DE') OR SUM(balance) > 1000 ORDER BY country
@ordered SELECT status, COUNT(*) FROM orders GROUP BY status HAVING status BETWEEN 'a' AND 'P' AND COUNT(*) > 3 ORDER BY status
@ordered SELECT tier, COUNT(*) FROM customers GROUP BY tier HAVING NOT (tier LIKE 'g%') AND MAX(balance) IS NOT NULL ORDER BY tier
@ordered SELECT customer_id, COUNT(*) FROM orders GROUP BY customer_id HAVING customer_id % 7 = 1 AND COUNT(*) >= 2 ORDER BY customer_id
-- A key condition ANDed with an aggregate condition filters rows before
-- grouping, as the server moves it to WHERE: only the exact spelling counts.
@ordered SELECT tier, COUNT(*) FROM customers GROUP BY tier HAVING BINARY tier = 'gold' AND COUNT(*) > 1 ORDER BY tier
@ordered SELECT tier, COUNT(*) FROM customers GROUP BY tier HAVING tier <> 'GOLD' COLLATE utf8mb4_bin AND COUNT(*) > 0 ORDER BY tier
@ordered SELECT country AS c, SUM(balance) FROM customers GROUP BY country HAVING c <> 'fr' AND SUM(balance) > 0 ORDER BY c
@ordered SELECT name, COUNT(*) FROM customers GROUP BY name HAVING BINARY name = 'Alice' AND COUNT(*) >= 1 ORDER BY COUNT(*)
@ordered SELECT COUNT(*), MAX(id) FROM orders GROUP BY tag HAVING BINARY tag = 'A' AND COUNT(*) > 0 ORDER BY 1
