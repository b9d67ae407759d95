// The SQLite store on a real file: schema creation, reopening, membership cursors, message paging,
// expiry, key packages, savepoints and refusal of a file that is not a database.
#include "gchat/server/store.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "temp_dir.hpp"

using namespace gchat;
using namespace gchat::server;
using gchat::testing::TempDir;

namespace {

Bytes key(std::uint8_t b) { return Bytes(32, b); }
Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

std::unique_ptr<Store> open(const std::string& path) {
  auto s = open_sqlite_store(path);
  REQUIRE_MESSAGE(s.ok(), s.error().message);
  return std::move(*s);
}

}  // namespace

TEST_CASE("devices, groups and messages survive reopening the file") {
  TempDir dir;
  const auto db = dir.file("relay.db");
  {
    auto s = open(db);
    REQUIRE(s->begin().ok());
    auto alice = s->register_device(key(1), 1000);
    REQUIRE(alice.ok());
    auto again = s->register_device(key(1), 1001);
    CHECK_FALSE(again.ok());
    auto g = s->create_group(text("group-1"), alice->ref, 1000);
    REQUIRE(g.ok());
    REQUIRE(s->add_member(g->ref, alice->ref).ok());
    for (int i = 1; i <= 3; ++i) {
      auto seq = s->append_message(g->ref, 1, alice->ref, text("ct" + std::to_string(i)), 2000);
      REQUIRE(seq.ok());
      CHECK(*seq == static_cast<std::uint64_t>(i));
    }
    REQUIRE(s->commit().ok());
  }
  auto s = open(db);
  auto alice = s->find_device(key(1));
  REQUIRE(alice.ok());
  REQUIRE(alice->has_value());
  auto g = s->find_group(text("group-1"));
  REQUIRE(g.ok());
  REQUIRE(g->has_value());
  CHECK((*g)->last_seq == 3);
  auto msgs = s->read_messages((*g)->ref, 1, 10, 1 << 20);
  REQUIRE(msgs.ok());
  REQUIRE(msgs->size() == 2);
  CHECK((*msgs)[0].seq == 2);
  CHECK((*msgs)[1].payload == text("ct3"));
  CHECK((*msgs)[1].sender_key == key(1));
  auto unknown = s->find_device(key(9));
  REQUIRE(unknown.ok());
  CHECK_FALSE(unknown->has_value());
}

TEST_CASE("a member added later reads only what came after joining") {
  TempDir dir;
  auto s = open(dir.file("relay.db"));
  REQUIRE(s->begin().ok());
  auto a = s->register_device(key(1), 0);
  auto b = s->register_device(key(2), 0);
  REQUIRE((a.ok() && b.ok()));
  auto g = s->create_group(text("g"), a->ref, 0);
  REQUIRE(g.ok());
  REQUIRE(s->add_member(g->ref, a->ref).ok());
  REQUIRE(s->append_message(g->ref, 1, a->ref, text("before"), 0).ok());
  REQUIRE(s->add_member(g->ref, b->ref).ok());
  REQUIRE(s->append_message(g->ref, 1, a->ref, text("after"), 0).ok());
  auto mb = s->membership(g->ref, b->ref);
  REQUIRE(mb.ok());
  REQUIRE(mb->has_value());
  CHECK((*mb)->joined_seq == 1);
  CHECK((*mb)->acked_seq == 1);
  CHECK((*mb)->last_seq == 2);
  auto listed = s->memberships_of(b->ref);
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].member_count == 2);
  CHECK((*listed)[0].joined_seq == 1);
  REQUIRE(s->set_acked(g->ref, b->ref, 2).ok());
  auto mb2 = s->membership(g->ref, b->ref);
  REQUIRE(mb2.ok());
  CHECK((*mb2)->acked_seq == 2);
  auto keys = s->member_keys(g->ref);
  REQUIRE(keys.ok());
  CHECK(keys->size() == 2);
  REQUIRE(s->remove_member(g->ref, b->ref).ok());
  auto gone = s->membership(g->ref, b->ref);
  REQUIRE(gone.ok());
  CHECK_FALSE(gone->has_value());
  auto of_b = s->memberships_of(b->ref);
  REQUIRE(of_b.ok());
  CHECK(of_b->empty());
  REQUIRE(s->commit().ok());
}

TEST_CASE("read_messages stops at the byte budget but always returns one message") {
  TempDir dir;
  auto s = open(dir.file("relay.db"));
  REQUIRE(s->begin().ok());
  auto a = s->register_device(key(1), 0);
  auto g = s->create_group(text("g"), a->ref, 0);
  REQUIRE(s->add_member(g->ref, a->ref).ok());
  for (int i = 0; i < 10; ++i) REQUIRE(s->append_message(g->ref, 1, a->ref, Bytes(1000, 0x42), 0).ok());
  auto few = s->read_messages(g->ref, 0, 100, 2500);
  REQUIRE(few.ok());
  CHECK(few->size() >= 2);
  CHECK(few->size() <= 3);
  auto one = s->read_messages(g->ref, 0, 100, 10);
  REQUIRE(one.ok());
  CHECK(one->size() == 1);
  auto limited = s->read_messages(g->ref, 0, 4, 1 << 20);
  REQUIRE(limited.ok());
  CHECK(limited->size() == 4);
  auto none = s->read_messages(g->ref, 10, 100, 1 << 20);
  REQUIRE(none.ok());
  CHECK(none->empty());
  REQUIRE(s->commit().ok());
}

TEST_CASE("expiry deletes old bodies and keeps sequence numbers") {
  TempDir dir;
  auto s = open(dir.file("relay.db"));
  REQUIRE(s->begin().ok());
  auto a = s->register_device(key(1), 0);
  auto g = s->create_group(text("g"), a->ref, 0);
  REQUIRE(s->append_message(g->ref, 1, a->ref, text("old"), 100).ok());
  REQUIRE(s->append_message(g->ref, 1, a->ref, text("new"), 900).ok());
  auto n = s->expire_messages(500);
  REQUIRE(n.ok());
  CHECK(*n == 1);
  auto left = s->read_messages(g->ref, 0, 10, 1 << 20);
  REQUIRE(left.ok());
  REQUIRE(left->size() == 1);
  CHECK((*left)[0].seq == 2);
  auto next = s->append_message(g->ref, 1, a->ref, text("next"), 1000);
  REQUIRE(next.ok());
  CHECK(*next == 3);
  REQUIRE(s->commit().ok());
}

TEST_CASE("key packages: one-time ones are consumed, the last-resort one is not") {
  TempDir dir;
  auto s = open(dir.file("relay.db"));
  REQUIRE(s->begin().ok());
  auto a = s->register_device(key(1), 0);
  REQUIRE(s->add_key_package(a->ref, text("kp1")).ok());
  REQUIRE(s->add_key_package(a->ref, text("kp2")).ok());
  REQUIRE(s->set_last_resort_key_package(a->ref, text("lr")).ok());
  auto count = s->count_key_packages(a->ref);
  REQUIRE(count.ok());
  CHECK(*count == 2);
  std::vector<std::string> taken;
  for (int i = 0; i < 4; ++i) {
    auto kp = s->take_key_package(a->ref);
    REQUIRE(kp.ok());
    REQUIRE(kp->has_value());
    taken.emplace_back((*kp)->data.begin(), (*kp)->data.end());
    CHECK((*kp)->last_resort == (i >= 2));
  }
  CHECK(taken[2] == "lr");
  CHECK(taken[3] == "lr");
  auto b = s->register_device(key(2), 0);
  auto none = s->take_key_package(b->ref);
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  REQUIRE(s->commit().ok());
}

TEST_CASE("deleting a device's key packages removes the last-resort one too, and only that device's") {
  TempDir dir;
  auto s = open(dir.file("relay.db"));
  REQUIRE(s->begin().ok());
  auto a = s->register_device(key(1), 0);
  auto b = s->register_device(key(2), 0);
  REQUIRE(s->add_key_package(a->ref, text("kp1")).ok());
  REQUIRE(s->set_last_resort_key_package(a->ref, text("lr")).ok());
  REQUIRE(s->add_key_package(b->ref, text("other")).ok());
  REQUIRE(s->delete_key_packages(a->ref).ok());
  auto none = s->take_key_package(a->ref);
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  auto kept = s->take_key_package(b->ref);
  REQUIRE(kept.ok());
  CHECK(kept->has_value());
  REQUIRE(s->commit().ok());
}

namespace {

UserCertificateRecord certificate(const std::string& user, std::uint8_t identity, std::uint64_t serial,
                                  std::int64_t not_before, std::int64_t not_after) {
  UserCertificateRecord r;
  r.agency_id = "moi";
  r.user_id = user;
  r.identity_key = key(identity);
  r.serial = serial;
  r.not_before = not_before;
  r.not_after = not_after;
  r.admin_id = "admin1";
  r.admin_key = key(0xad);
  r.certificate = text("certificate " + std::to_string(serial));
  r.issuer_chain = text("issuer of " + std::to_string(serial));
  return r;
}

AdminChainRecord chain(const std::string& admin, std::uint8_t admin_key, std::int64_t not_after,
                       const std::string& bytes) {
  return AdminChainRecord{"moi", admin, key(admin_key), not_after, not_after, text(bytes)};
}

}  // namespace

TEST_CASE(
    "the certificate registry: one current certificate per person, found by identity key, revocation kept") {
  TempDir dir;
  const auto db = dir.file("relay.db");
  {
    auto s = open(db);
    REQUIRE(s->begin().ok());
    REQUIRE(s->put_user_certificate(certificate("somchai", 1, 10, 100, 1000), 5).ok());
    REQUIRE(s->put_user_certificate(certificate("malee", 2, 11, 100, 1000), 5).ok());
    REQUIRE(s->mark_user_revoked("moi", "somchai", 6).ok());
    // A later certificate replaces the current one; the person stays revoked.
    REQUIRE(s->put_user_certificate(certificate("somchai", 1, 12, 200, 2000), 7).ok());
    REQUIRE(s->commit().ok());
  }
  auto s = open(db);
  auto current = s->current_user_certificate("moi", "somchai");
  REQUIRE(current.ok());
  REQUIRE(current->has_value());
  CHECK((*current)->serial == 12);
  CHECK((*current)->not_before == 200);
  CHECK((*current)->not_after == 2000);
  CHECK((*current)->admin_key == key(0xad));
  CHECK((*current)->certificate == text("certificate 12"));
  CHECK((*current)->issuer_chain == text("issuer of 12"));
  CHECK((*current)->revoked);
  auto by_key = s->current_certificate_for_key(key(2));
  REQUIRE(by_key.ok());
  REQUIRE(by_key->has_value());
  CHECK((*by_key)->user_id == "malee");
  CHECK_FALSE((*by_key)->revoked);
  auto unknown = s->current_certificate_for_key(key(3));
  REQUIRE(unknown.ok());
  CHECK_FALSE(unknown->has_value());
  auto nobody = s->current_user_certificate("mof", "somchai");
  REQUIRE(nobody.ok());
  CHECK_FALSE(nobody->has_value());
}

TEST_CASE("an administrator's chain is kept per key, and only a later one replaces it") {
  TempDir dir;
  auto s = open(dir.file("relay.db"));
  REQUIRE(s->begin().ok());
  auto first = s->put_admin_chain(chain("admin1", 1, 1000, "chain A"));
  REQUIRE(first.ok());
  CHECK(*first);
  auto older = s->put_admin_chain(chain("admin1", 1, 900, "chain B"));
  REQUIRE(older.ok());
  CHECK_FALSE(*older);
  auto same = s->put_admin_chain(chain("admin1", 1, 1000, "chain A"));
  REQUIRE(same.ok());
  CHECK_FALSE(*same);
  auto stored = s->admin_chain("moi", "admin1", key(1));
  REQUIRE(stored.ok());
  REQUIRE(stored->has_value());
  CHECK(**stored == text("chain A"));
  auto later = s->put_admin_chain(chain("admin1", 1, 2000, "chain C"));
  REQUIRE(later.ok());
  CHECK(*later);
  // A new key of the same administrator has its own chain; the old key's stays for what it signed.
  REQUIRE(s->put_admin_chain(chain("admin1", 2, 3000, "chain D")).ok());
  CHECK(**s->admin_chain("moi", "admin1", key(1)) == text("chain C"));
  CHECK(**s->admin_chain("moi", "admin1", key(2)) == text("chain D"));
  auto none = s->admin_chain("moi", "admin9", key(1));
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  REQUIRE(s->commit().ok());
}

TEST_CASE(
    "expiring certificates are counted between now and the horizon, revoked people and expired ones left "
    "out") {
  TempDir dir;
  auto s = open(dir.file("relay.db"));
  REQUIRE(s->begin().ok());
  const std::int64_t now = 1'000'000;
  REQUIRE(s->put_user_certificate(certificate("soon", 1, 1, 0, now + 10), 0).ok());
  REQUIRE(s->put_user_certificate(certificate("edge", 2, 2, 0, now + 100), 0).ok());
  REQUIRE(s->put_user_certificate(certificate("later", 3, 3, 0, now + 101), 0).ok());
  REQUIRE(s->put_user_certificate(certificate("expired", 4, 4, 0, now), 0).ok());
  REQUIRE(s->put_user_certificate(certificate("revoked", 5, 5, 0, now + 10), 0).ok());
  REQUIRE(s->mark_user_revoked("moi", "revoked", 0).ok());
  // admin1 renewed (its newer chain counts), admin2 did not, admin3 has two keys, one lasting.
  REQUIRE(s->put_admin_chain(chain("admin1", 1, now + 50, "a")).ok());
  REQUIRE(s->put_admin_chain(chain("admin1", 1, now + 500, "b")).ok());
  REQUIRE(s->put_admin_chain(chain("admin2", 2, now + 50, "c")).ok());
  REQUIRE(s->put_admin_chain(chain("admin3", 3, now + 50, "d")).ok());
  REQUIRE(s->put_admin_chain(chain("admin3", 4, now + 500, "e")).ok());
  auto counts = s->count_expiring(now, now + 100);
  REQUIRE(counts.ok());
  CHECK(counts->users == 2);
  CHECK(counts->admin_chains == 1);
  REQUIRE(s->commit().ok());
}

TEST_CASE(
    "a person's devices are listed with when they registered, were last seen and whether they are revoked") {
  TempDir dir;
  auto s = open(dir.file("relay.db"));
  REQUIRE(s->begin().ok());
  auto laptop = s->register_device(key(1), 100);
  auto phone = s->register_device(key(2), 200);
  auto other = s->register_device(key(3), 300);
  REQUIRE((laptop.ok() && phone.ok() && other.ok()));
  DeviceIdentity somchai{"moi", "somchai", 1, 7, text("chain"), "สมชาย", "Somchai"};
  REQUIRE(s->set_device_identity(laptop->ref, somchai, 100).ok());
  REQUIRE(s->set_device_identity(phone->ref, somchai, 200).ok());
  REQUIRE(s->set_device_identity(other->ref, DeviceIdentity{"moi", "malee", 1, 8, text("c2"), "มาลี", "Malee"},
                                 300)
              .ok());
  REQUIRE(s->note_device_seen(laptop->ref, 150).ok());
  REQUIRE(s->mark_device_revoked(phone->ref, 250).ok());
  REQUIRE(s->put_user_certificate(certificate("somchai", 9, 7, 0, 5000), 0).ok());
  auto devices = s->devices_of_person("moi", "somchai", 10);
  REQUIRE(devices.ok());
  REQUIRE(devices->size() == 2);
  CHECK((*devices)[0].public_key == key(1));
  CHECK((*devices)[0].chain == text("chain"));
  CHECK((*devices)[0].registered_ms == 100);
  CHECK((*devices)[0].last_seen_ms == 150);
  CHECK_FALSE((*devices)[0].revoked);
  CHECK((*devices)[1].last_seen_ms == 0);
  CHECK((*devices)[1].revoked);
  auto limited = s->devices_of_person("moi", "somchai", 1);
  REQUIRE(limited.ok());
  CHECK(limited->size() == 1);
  // The agency's people with their current certificate, where the registry has one.
  auto people = s->users_of_agency("moi");
  REQUIRE(people.ok());
  REQUIRE(people->size() == 2);
  CHECK((*people)[0].user_id == "malee");
  CHECK((*people)[0].not_after == 0);
  CHECK((*people)[1].user_id == "somchai");
  CHECK((*people)[1].devices == 2);
  CHECK((*people)[1].revoked_devices == 1);
  CHECK((*people)[1].not_after == 5000);
  CHECK((*people)[1].serial == 7);
  CHECK_FALSE((*people)[1].revoked);
  REQUIRE(s->commit().ok());
}

TEST_CASE("a database from before the certificate registry gains it and keeps its devices") {
  TempDir dir;
  const auto db = dir.file("relay.db");
  {
    auto s = open(db);
    REQUIRE(s->begin().ok());
    REQUIRE(s->register_device(key(1), 100).ok());
    REQUIRE(s->commit().ok());
  }
  // Back to schema 5, as a relay of the previous release left it.
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
  CHECK(sqlite3_exec(raw,
                     "DROP TABLE current_certificates; DROP TABLE admin_chains; "
                     "ALTER TABLE devices DROP COLUMN last_seen_ms; PRAGMA user_version = 5;",
                     nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(raw);
  auto s = open(db);
  REQUIRE(s->begin().ok());
  auto device = s->find_device(key(1));
  REQUIRE(device.ok());
  REQUIRE(device->has_value());
  CHECK(s->note_device_seen((*device)->ref, 200).ok());
  CHECK(s->put_user_certificate(certificate("somchai", 1, 1, 0, 1000), 0).ok());
  CHECK(s->put_admin_chain(chain("admin1", 1, 1000, "a")).ok());
  REQUIRE(s->commit().ok());
}

TEST_CASE("a rolled-back savepoint leaves no trace; a rolled-back transaction neither") {
  TempDir dir;
  const auto db = dir.file("relay.db");
  {
    auto s = open(db);
    REQUIRE(s->begin().ok());
    REQUIRE(s->register_device(key(1), 0).ok());
    REQUIRE(s->savepoint().ok());
    REQUIRE(s->register_device(key(2), 0).ok());
    s->rollback_to_savepoint();
    REQUIRE(s->savepoint().ok());
    REQUIRE(s->register_device(key(3), 0).ok());
    REQUIRE(s->release_savepoint().ok());
    REQUIRE(s->commit().ok());
    REQUIRE(s->begin().ok());
    REQUIRE(s->register_device(key(4), 0).ok());
    s->rollback();
  }
  auto s = open(db);
  for (std::uint8_t b : {1, 2, 3, 4}) {
    auto d = s->find_device(key(b));
    REQUIRE(d.ok());
    CHECK_MESSAGE(d->has_value() == (b == 1 || b == 3), "device " << int(b));
  }
}

TEST_CASE("a file that is not a database is refused with storage_corrupt") {
  TempDir dir;
  const auto path = dir.file("garbage.db");
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 4096; ++i) out.put(static_cast<char>(i * 7));
  }
  auto s = open_sqlite_store(path);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == Errc::storage_corrupt);
}

TEST_CASE("a database in a missing directory is refused with a storage error") {
  auto s = open_sqlite_store("/nonexistent-gchat-dir/relay.db");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == Errc::storage_failure);
}
