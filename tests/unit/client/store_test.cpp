// The client's local store: sealed at rest (nothing readable in the database file or its WAL), a
// wrong passphrase refused with a stable code, a tampered value refused, Thai words found inside
// sentences, transactions all or nothing.
#include <doctest/doctest.h>

#include <sqlite3.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "gchat/client/store.hpp"
#include "temp_dir.hpp"

using namespace gchat;
using namespace gchat::client;
using gchat::testing::TempDir;

namespace {

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Everything SQLite keeps on disk for the store: the database and its write-ahead log.
std::string disk(const TempDir& dir) { return file_bytes(dir.file("client.db")) + file_bytes(dir.file("client.db-wal")); }

Bytes b(std::string_view s) { return Bytes(s.begin(), s.end()); }

std::unique_ptr<Store> open(const TempDir& dir, std::string_view passphrase = "correct horse") {
  auto s = Store::open_with_passphrase(dir.path.string(), passphrase, KdfStrength::interactive);
  REQUIRE_MESSAGE(s.ok(), s.error().to_string());
  return std::move(*s);
}

const std::string kSentence = "พรุ่งนี้มีการประชุมที่กระทรวงการคลังเรื่องงบประมาณ";

}  // namespace

TEST_CASE("ICU finds Thai words inside a sentence without spaces") {
  const auto words = index_words(kSentence);
  CHECK(std::find(words.begin(), words.end(), std::string("ประชุม")) != words.end());
  CHECK(std::find(words.begin(), words.end(), std::string("กระทรวง")) != words.end());
  CHECK(std::find(words.begin(), words.end(), std::string("คลัง")) != words.end());
  // A compound is two dictionary words; a search for it asks for both (and then checks the text).
  CHECK(std::find(words.begin(), words.end(), std::string("งบ")) != words.end());
  CHECK(std::find(words.begin(), words.end(), std::string("ประมาณ")) != words.end());
  // Case and width are folded; punctuation and spaces are not words.
  const auto latin = index_words("Budget, MEETING!  ＡＢＣ");
  CHECK(latin == std::vector<std::string>{"budget", "meeting", "abc"});
}

TEST_CASE("nothing written to the store is readable on disk") {
  TempDir dir;
  {
    auto store = open(dir);
    REQUIRE(store->put("device_seed", b("SEED-0123456789-SECRET")).ok());
    const Bytes gid = b("group-1");
    StoredGroup g;
    g.group_id = gid;
    g.info = b("TITLE-budget-committee");
    g.state = SecretBytes(b("MLS-STATE-EPOCH-SECRET"));
    REQUIRE(store->save_group(g).ok());
    REQUIRE(store->add_message(gid, b("message-0000001"), 1, 5, false, b("BODY " + kSentence), kSentence).ok());
    REQUIRE(store->queue(gid, b("message-0000002"), b("OUTGOING-ENVELOPE")).ok());
  }
  const std::string raw = disk(dir);
  REQUIRE(raw.size() > 4096);
  const std::vector<std::string> needles = {"SEED-0123456789", "TITLE-budget", "MLS-STATE", "OUTGOING-ENVELOPE",
                                            "ประชุม", "กระทรวง", "งบประมาณ"};
  for (const auto& needle : needles) {
    CHECK_MESSAGE(raw.find(needle) == std::string::npos, needle << " found in clear on disk");
  }
}

TEST_CASE("a wrong passphrase is refused, the right one opens everything") {
  TempDir dir;
  {
    auto store = open(dir);
    REQUIRE(store->put("chain", b("the chain")).ok());
  }
  auto wrong = Store::open_with_passphrase(dir.path.string(), "wrong horse", KdfStrength::interactive);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().code == Errc::decrypt_failed);
  auto store = open(dir);
  auto chain = store->get("chain");
  REQUIRE(chain.ok());
  REQUIRE(chain->has_value());
  CHECK(std::string((*chain)->view().begin(), (*chain)->view().end()) == "the chain");
  // A platform key instead of a passphrase: a separate store, and only 32-byte keys.
  TempDir other;
  CHECK_FALSE(Store::open_with_key(other.path.string(), Bytes(16, 1)).ok());
  auto keyed = Store::open_with_key(other.path.string(), Bytes(32, 7));
  REQUIRE(keyed.ok());
  keyed->reset();
  CHECK_FALSE(Store::open_with_key(other.path.string(), Bytes(32, 8)).ok());
}

TEST_CASE("search finds a Thai word inside a sentence, per conversation") {
  TempDir dir;
  auto store = open(dir);
  REQUIRE(store->add_message(b("g1"), b("m1"), 1, 5, false, b("one"), kSentence).ok());
  REQUIRE(store->add_message(b("g2"), b("m2"), 1, 5, false, b("two"), "ประชุมด่วนบ่ายนี้").ok());
  REQUIRE(store->add_message(b("g1"), b("m3"), 2, 5, false, b("three"), "Meeting moved to Friday").ok());
  auto everywhere = store->search("ประชุม", {}, 10);
  REQUIRE(everywhere.ok());
  CHECK(everywhere->size() == 2);
  auto in_g1 = store->search("ประชุม", b("g1"), 10);
  REQUIRE(in_g1.ok());
  REQUIRE(in_g1->size() == 1);
  CHECK(in_g1->front().message == b("one"));
  auto both_words = store->search("งบประมาณ", {}, 10);
  REQUIRE(both_words.ok());
  CHECK(both_words->size() == 1);
  auto english = store->search("MEETING", {}, 10);
  REQUIRE(english.ok());
  CHECK(english->size() == 1);
  auto none = store->search("สนามบิน", {}, 10);
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("a transaction rolled back leaves nothing; a tampered value does not open") {
  TempDir dir;
  {
    auto store = open(dir);
    REQUIRE(store->begin().ok());
    REQUIRE(store->put("a", b("1")).ok());
    REQUIRE(store->queue(b("g"), b("m"), b("env")).ok());
    store->rollback();
    auto a = store->get("a");
    REQUIRE(a.ok());
    CHECK_FALSE(a->has_value());
    auto q = store->outbox();
    REQUIRE(q.ok());
    CHECK(q->empty());
    REQUIRE(store->put("b", b("value")).ok());
  }
  // Whoever can write the file cannot move a sealed value to another row or cut it short.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(dir.file("client.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "UPDATE secrets SET name = 'c' WHERE name = 'b';"
                           "INSERT INTO secrets(name, value) SELECT 'd', substr(value, 1, 20) FROM secrets WHERE name = 'c';",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto store = open(dir);
  auto moved = store->get("c");
  REQUIRE_FALSE(moved.ok());
  CHECK(moved.error().code == Errc::decrypt_failed);
  auto cut = store->get("d");
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.error().code == Errc::storage_corrupt);
}

namespace {

// Runs SQL on the store's database file directly, as whoever can write the file could.
void tamper(const TempDir& dir, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(dir.file("client.db").c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  const std::string why = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  REQUIRE_MESSAGE(rc == SQLITE_OK, why);
}

}  // namespace

TEST_CASE("a message row moved to another conversation no longer opens, there or by its id") {
  TempDir dir;
  {
    auto store = open(dir);
    REQUIRE(store->add_message(b("g1"), b("m1"), 1, 5, false, b("ลับมาก: for g1 only"), "").ok());
    REQUIRE(store->add_message(b("g2"), b("m2"), 1, 5, false, b("g2's own"), "").ok());
  }
  tamper(dir, "UPDATE messages SET group_id = X'6732' WHERE message_id = X'6d31';");  // g1's m1 into g2
  auto store = open(dir);
  auto g2 = store->history(b("g2"), 0, 10);
  REQUIRE_FALSE(g2.ok());
  CHECK(g2.error().code == Errc::decrypt_failed);
  auto by_id = store->message(b("m1"));
  REQUIRE_FALSE(by_id.ok());
  CHECK(by_id.error().code == Errc::decrypt_failed);
  // The row left where it was still opens; g1 no longer lists the moved one.
  auto m2 = store->message(b("m2"));
  REQUIRE(m2.ok());
  REQUIRE(m2->has_value());
  CHECK((*m2)->message == b("g2's own"));
  auto g1 = store->history(b("g1"), 0, 10);
  REQUIRE(g1.ok());
  CHECK(g1->empty());
}

TEST_CASE("a received message flipped to outgoing, or an outgoing one to received, no longer opens") {
  TempDir dir;
  {
    auto store = open(dir);
    REQUIRE(store->add_message(b("g1"), b("in"), 1, 5, false, b("from alice"), "").ok());
    REQUIRE(store->add_message(b("g1"), b("out"), 2, 2, true, b("from me"), "").ok());
  }
  SUBCASE("incoming made outgoing") {
    tamper(dir, "UPDATE messages SET outgoing = 1 WHERE message_id = X'696e';");
    auto store = open(dir);
    auto m = store->message(b("in"));
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().code == Errc::decrypt_failed);
    CHECK(store->message(b("out")).ok());
  }
  SUBCASE("outgoing made incoming") {
    tamper(dir, "UPDATE messages SET outgoing = 0 WHERE message_id = X'6f7574';");
    auto store = open(dir);
    auto m = store->message(b("out"));
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().code == Errc::decrypt_failed);
    auto history = store->history(b("g1"), 0, 10);
    REQUIRE_FALSE(history.ok());
    CHECK(history.error().code == Errc::decrypt_failed);
  }
}

// Stores written before the binding are sealed again on open (meta "message_binding"). Rows sealed
// the old way cannot be made from outside the store (that needs its key), so this checks the other
// half: a migration that meets a row it cannot open refuses the whole store and changes nothing.
TEST_CASE("a migration that cannot open a message row refuses the store and leaves every row as it was") {
  TempDir dir;
  {
    auto store = open(dir);
    REQUIRE(store->add_message(b("g1"), b("m1"), 1, 5, false, b("first"), "").ok());
    REQUIRE(store->add_message(b("g1"), b("m2"), 2, 5, true, b("second"), "").ok());
  }
  tamper(dir, "DELETE FROM meta WHERE name = 'message_binding';");
  auto refused = Store::open_with_passphrase(dir.path.string(), "correct horse", KdfStrength::interactive);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == Errc::decrypt_failed);
  tamper(dir, "INSERT INTO meta(name, value) VALUES ('message_binding', CAST('2' AS BLOB));");
  auto store = open(dir);
  auto history = store->history(b("g1"), 0, 10);
  REQUIRE(history.ok());
  REQUIRE(history->size() == 2);
  CHECK(history->at(0).message == b("first"));
  CHECK(history->at(1).message == b("second"));
}
