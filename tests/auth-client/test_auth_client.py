"""Auth's own Python client (PyPI `auth`, unchanged) against a running `tessera serve`.

Run by scripts/test.sh in a virtualenv with `auth` installed from PyPI:
    TESSERA_BIN=target/debug/tessera python tests/auth-client/test_auth_client.py
The server is started here on a free loopback port with a fresh data directory
(SQLite), or on TEST_DATABASE_URL when that is set.
"""

import os
import subprocess
import sys
import tempfile
import threading
import unittest
import uuid
from datetime import datetime, timedelta, timezone

from auth.client import AuthRefused, Client

SERVER = {}


def start_server():
    data = tempfile.mkdtemp(prefix="tessera-auth-client-")
    env = dict(os.environ, AUTH_DATA_DIR=data, RUST_LOG="warn")
    if os.environ.get("TEST_DATABASE_URL"):
        env["AUTH_DATABASE_URL"] = os.environ["TEST_DATABASE_URL"]
    proc = subprocess.Popen(
        [os.environ.get("TESSERA_BIN", "target/debug/tessera"), "serve", "--bind", "127.0.0.1:0", "--log-format", "text"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    for line in proc.stderr:
        if line.startswith("tessera serve: listening on "):
            SERVER["url"] = line.split("listening on ", 1)[1].strip()
            break
        sys.stderr.write("[serve] " + line)
    else:
        raise RuntimeError("tessera serve exited before listening")
    # Keep draining stderr so the server never blocks on a full pipe.
    threading.Thread(target=lambda: [sys.stderr.write("[serve] " + l) for l in proc.stderr], daemon=True).start()
    SERVER["proc"] = proc


def setUpModule():
    start_server()


def tearDownModule():
    SERVER["proc"].terminate()
    SERVER["proc"].wait(timeout=30)


class AuthClientFlows(unittest.TestCase):
    def setUp(self):
        # A fresh namespace per test: Auth's client keys are self-chosen UUID4s.
        self.key = str(uuid.uuid4())
        self.client = Client(self.key, service_url=SERVER["url"])

    def tearDown(self):
        self.client.close()

    def test_ping(self):
        self.assertEqual(self.client.ping(), {"message": "PONG"})

    def test_roles_permissions_memberships_and_checks(self):
        c = self.client
        # A new namespace is strict (Auth 3.x); these users have no API keys.
        c.set_strict_users(False)
        self.assertEqual(c.create_role("viewer"), {"result": True})
        self.assertEqual(c.create_role("editor"), {"result": True})
        self.assertEqual(c.add_permission("viewer", "posts.read"), {"result": True})
        self.assertEqual(c.add_permission("editor", "posts.edit"), {"result": True})
        self.assertEqual(c.has_permission("viewer", "posts.read"), {"result": True})
        self.assertEqual(c.has_permission("viewer", "posts.edit"), {"result": False})
        self.assertEqual(c.add_membership("alice", "editor"), {"result": True})
        self.assertEqual(c.add_membership("alice", "viewer"), {"result": True})
        self.assertEqual(c.add_membership("bob", "viewer"), {"result": True})
        self.assertTrue(c.has_membership("alice", "editor")["data"]["has_permission"])
        self.assertFalse(c.has_membership("bob", "editor")["data"]["has_permission"])

        self.assertTrue(c.user_has_permission("alice", "posts.edit")["data"]["has_permission"])
        self.assertFalse(c.user_has_permission("bob", "posts.edit")["data"]["has_permission"])
        perms = c.get_user_permissions("alice")["data"]
        self.assertEqual(perms["count"], 2)
        self.assertEqual(sorted(p["name"] for p in perms["permissions"]), ["posts.edit", "posts.read"])
        self.assertEqual(c.get_role_permissions("viewer")["data"], [{"name": "posts.read"}])
        self.assertEqual(
            c.get_user_roles("alice")["result"],
            [{"user": "alice", "role": "editor"}, {"user": "alice", "role": "viewer"}],
        )
        self.assertEqual(
            c.get_role_members("viewer")["result"],
            [{"user": "alice", "role": "viewer"}, {"user": "bob", "role": "viewer"}],
        )
        self.assertEqual(sorted(r["role"] for r in c.list_roles()["result"]), ["editor", "viewer"])
        self.assertEqual(c.which_roles_can("posts.read")["result"], [{"role": "viewer"}])
        # Auth would list alice twice (she reaches posts.read through one role only
        # here, so once either way); users appear once in Tessera.
        users = [row["user"] for row in c.which_users_can("posts.read")["result"]]
        self.assertEqual(users, ["alice", "bob"])

        # Workflows are permissions.
        self.assertTrue(c.check_user_workflow_permission("alice", "posts.edit")["data"]["has_permission"])
        self.assertEqual(c.get_users_for_workflow("posts.edit")["data"]["count"], 1)

        # Removal.
        self.assertEqual(c.remove_membership("alice", "editor"), {"result": True})
        self.assertFalse(c.user_has_permission("alice", "posts.edit")["data"]["has_permission"])
        self.assertEqual(c.remove_permission("viewer", "posts.read"), {"result": True})
        self.assertFalse(c.user_has_permission("bob", "posts.read")["data"]["has_permission"])
        self.assertTrue(c.delete_role("editor")["data"]["result"])
        self.assertEqual([r["role"] for r in c.list_roles()["result"]], ["viewer"])

    def test_refusals_raise_auth_refused_with_the_json_payload(self):
        with self.assertRaises(AuthRefused) as caught:
            self.client.create_role("not a role!")
        self.assertEqual(caught.exception.status, 400)
        self.assertEqual(caught.exception.payload["success"], False)
        self.assertIn("Invalid role name", caught.exception.payload["message"])

    def test_api_keys(self):
        c = self.client
        c.set_strict_users(False)
        c.create_role("reader")
        c.add_permission("reader", "docs.read")
        c.add_membership("carol", "reader")
        created = c.create_api_key("carol", label="laptop")["data"]
        secret, key_id = created["api_key"], created["key_id"]
        self.assertTrue(secret.startswith("rak_"))
        listed = c.list_api_keys("carol")["data"]
        self.assertEqual(listed["count"], 1)
        self.assertEqual(listed["keys"][0]["label"], "laptop")
        valid = c.validate_api_key(secret)["data"]
        self.assertEqual((valid["valid"], valid["user"]), (True, "carol"))
        self.assertTrue(c.check_api_key_permission(secret, "docs.read")["data"]["has_permission"])
        self.assertFalse(c.check_api_key_permission(secret, "docs.write")["data"]["has_permission"])
        soon = datetime.now(timezone.utc) + timedelta(days=3)
        self.assertIsNotNone(c.set_api_key_expiry("carol", key_id, soon)["data"]["expires_at"])
        self.assertEqual(c.revoke_api_key("carol", key_id)["data"], {"revoked": True, "already_revoked": False})
        self.assertEqual(c.validate_api_key(secret)["data"], {"valid": False, "reason": "revoked"})
        with self.assertRaises(AuthRefused) as caught:
            c.revoke_api_key("carol", str(uuid.uuid4()))
        self.assertEqual(caught.exception.status, 404)

    def test_strict_users_by_default(self):
        c = self.client
        # A namespace with no stored setting is strict, as in Auth 3.x.
        self.assertEqual(c.get_settings()["data"], {"strict_users": True})
        c.create_role("reader")
        c.add_permission("reader", "docs.read")
        with self.assertRaises(AuthRefused) as caught:
            c.add_membership("dave", "reader")
        self.assertEqual(caught.exception.status, 409)
        self.assertEqual(caught.exception.payload["reason"], "user_not_key_backed")
        c.create_api_key("dave")
        self.assertEqual(c.add_membership("dave", "reader"), {"result": True})
        self.assertTrue(c.user_has_permission("dave", "docs.read")["data"]["has_permission"])
        answer = c.user_has_permission("erin", "docs.read")["data"]
        self.assertEqual((answer["has_permission"], answer["reason"]), (False, "user_not_key_backed"))
        self.assertEqual(c.set_strict_users(False)["data"], {"strict_users": False})
        self.assertEqual(c.add_membership("erin", "reader"), {"result": True})
        self.assertTrue(c.user_has_permission("erin", "docs.read")["data"]["has_permission"])

    def test_rotate_key_moves_the_namespace_and_the_client_follows(self):
        c = self.client
        c.create_role("ops")
        old = c.api_key
        rotated = c.rotate_key()["data"]
        self.assertNotEqual(c.api_key, old)
        self.assertEqual(c.api_key, rotated["new_key"])
        self.assertEqual(rotated["migrated"]["roles"], 1)
        self.assertEqual([r["role"] for r in c.list_roles()["result"]], ["ops"])
        with Client(old, service_url=SERVER["url"]) as stale:
            self.assertEqual(stale.list_roles()["result"], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
