"""Writes the proxy must reject because they would put a row on the wrong shard."""

import unittest

import pymysql

import sptest
from sptest import execute, query_all, shard_of_int


class ShardKeyUpdateTest(sptest.ProxyTestCase):

    TABLE = "t1"

    def count_everywhere(self, key):
        total = 0
        for index in range(self.shard_count()):
            total += query_all(self.shard(index), f"SELECT COUNT(*) FROM {self.TABLE} WHERE k = {key}")[0][0]
        return total

    def test_update_of_shard_key_rejected(self):
        self.drop_everywhere(self.TABLE)
        self.addCleanup(self.drop_everywhere, self.TABLE)
        execute(self.proxy, f"CREATE TABLE {self.TABLE} (k INT NOT NULL PRIMARY KEY, x INT NOT NULL)")
        execute(self.proxy, f"INSERT INTO {self.TABLE} (k, x) VALUES (1, 10)")
        # Key 2 hashes to the same shard as 1 and key 4 to the other one:
        # any assignment to the shard key is rejected.
        self.assertNotEqual(shard_of_int(1), shard_of_int(4), "keys 1 and 4 must hash to different shards")

        for statement in (f"UPDATE {self.TABLE} SET k = 2 WHERE k = 1",
                          f"UPDATE {self.TABLE} SET x = 11, k = 4 WHERE k = 1",
                          f"UPDATE {self.TABLE} SET k = k + 1 WHERE k = 1"):
            with self.subTest(statement=statement):
                self.assertProxyError(sptest.ER_NOT_SUPPORTED_YET, execute, self.proxy, statement)
                self.assertEqual(query_all(self.proxy, f"SELECT x FROM {self.TABLE} WHERE k = 1"), [(10,)])
                self.assertEqual(self.count_everywhere(1), 1)
                self.assertEqual(self.count_everywhere(2), 0)
                self.assertEqual(self.count_everywhere(4), 0)

        # Updating other columns stays allowed.
        self.assertEqual(execute(self.proxy, f"UPDATE {self.TABLE} SET x = 12 WHERE k = 1"), 1)
        home = self.shard(shard_of_int(1))
        self.assertEqual(query_all(home, f"SELECT x FROM {self.TABLE} WHERE k = 1"), [(12,)])


class AutoIncrementKeyTest(sptest.ProxyTestCase):

    TABLE = "photo"

    def test_insert_without_key_rejected(self):
        self.drop_everywhere(self.TABLE)
        self.addCleanup(self.drop_everywhere, self.TABLE)
        execute(self.proxy, f"CREATE TABLE {self.TABLE} (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
                            " title VARCHAR(64) NOT NULL)")

        with self.assertRaises(pymysql.MySQLError) as ctx:
            execute(self.proxy, f"INSERT INTO {self.TABLE} (title) VALUES ('no id')")
        self.assertIsNotNone(sptest.mysql_error_code(ctx.exception), repr(ctx.exception))
        for index in range(self.shard_count()):
            self.assertEqual(self.direct_ids(index, self.TABLE), [], f"shard {index}")

        # With the key given, the same table accepts the row on its shard.
        self.assertEqual(execute(self.proxy, f"INSERT INTO {self.TABLE} (id, title) VALUES (7, 'with id')"), 1)
        self.assertEqual(self.direct_ids(shard_of_int(7), self.TABLE), [7])


if __name__ == "__main__":
    unittest.main()
