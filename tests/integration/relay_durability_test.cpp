#include <doctest/doctest.h>
#include <sqlite3.h>

#include <signal.h>

#include <cstdio>

#include "online.hpp"

using namespace gchat;
using namespace gchat::testing;

TEST_CASE("every message acknowledged before kill -9 is delivered after the relay restarts") {
  RelayProcess relay;
  auto sender_key = DeviceKey::generate(), reader_key = DeviceKey::generate();
  std::vector<std::uint64_t> acknowledged;
  {
    auto sender = online(relay, &sender_key);
    { auto reader = online(relay, &reader_key); }
    REQUIRE(sender->create_group("durable", {reader_key.public_key}).has_create_group_ok());
    // Pipelined: many sends in flight at once so that they share storage transactions.
    std::vector<std::uint64_t> rids;
    for (int i = 0; i < 200; ++i) {
      pb::ClientFrame f;
      f.mutable_send()->set_group_id("durable");
      f.mutable_send()->set_kind(pb::APPLICATION);
      f.mutable_send()->set_payload("msg-" + std::to_string(i));
      rids.push_back(sender->send(f));
    }
    for (auto rid : rids) {
      auto r = sender->wait_response(rid);
      REQUIRE(r.has_send_ok());
      acknowledged.push_back(r.send_ok().seq());
    }
    relay.kill9();
  }
  relay.restart();
  auto reader = online(relay, &reader_key);
  auto got = reader->take_deliveries(acknowledged.size(), 20s);
  REQUIRE(got.size() == acknowledged.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].seq() == acknowledged[i]);
    CHECK(got[i].payload() == "msg-" + std::to_string(i));
  }
  // Batching really happened: fewer transactions than requests.
  auto metrics = http_get(relay.port(), "/metrics", relay.ca_file());
  CHECK(metrics.find("gchat_storage_batches_total") != std::string::npos);
}

TEST_CASE("SIGTERM shuts the relay down gracefully: connected devices are told and it exits 0") {
  RelayProcess relay;
  auto c = online(relay);
  REQUIRE(c->create_group("bye", {}).has_create_group_ok());
  REQUIRE(c->send_message("bye", "last words").has_send_ok());
  const auto pid = relay.pid();
  REQUIRE(pid > 0);
  ::kill(pid, SIGTERM);
  // The device sees its own delivery, then the notice, then the close.
  bool told = false;
  for (int i = 0; i < 3 && !told; ++i) {
    auto push = c->next_push(5s);
    if (push && push->has_notice()) told = push->notice().reason().code() == pb::SHUTTING_DOWN;
  }
  CHECK(told);
  CHECK(c->wait_closed());
  CHECK(relay.stop() == 0);
  CHECK(relay.log().find("event=stopped") != std::string::npos);
}

TEST_CASE("the relay refuses to start on a database written by a newer version, with a clear message") {
  RelayProcess relay;
  relay.stop();
  // What a newer relay would leave behind: a schema version beyond ours (set through SQLite, so the
  // write-ahead log cannot hide it).
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(relay.db_file().c_str(), &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  CHECK_THROWS_WITH_AS(relay.restart(), doctest::Contains("newer than this relay"), std::runtime_error);
}
