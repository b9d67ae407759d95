// The SQLite store on a real file: schema creation, reopening, membership cursors, message paging,
// expiry, key packages, savepoints and refusal of a file that is not a database.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "gchat/server/store.hpp"
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
