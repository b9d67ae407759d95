#include <doctest/doctest.h>

#include "online.hpp"

using namespace gchat;
using namespace gchat::testing;

TEST_CASE("a message sent to a group is acknowledged with a sequence and fanned out to every member in one order") {
  RelayProcess relay;
  auto a = online(relay), b = online(relay), c = online(relay);
  REQUIRE(a->create_group("team", {b->key().public_key, c->key().public_key}).has_create_group_ok());

  // Two senders interleave; every member must see the same total order.
  std::vector<std::uint64_t> acked;
  for (int i = 0; i < 10; ++i) {
    auto& sender = (i % 2 == 0) ? a : b;
    auto ok = sender->send_message("team", "m" + std::to_string(i));
    REQUIRE(ok.has_send_ok());
    acked.push_back(ok.send_ok().seq());
  }
  for (std::size_t i = 1; i < acked.size(); ++i) CHECK(acked[i] == acked[i - 1] + 1);

  std::vector<std::vector<pb::Delivery>> seen;
  for (auto* client : {a.get(), b.get(), c.get()}) seen.push_back(client->take_deliveries(10));
  for (auto& list : seen) {
    REQUIRE(list.size() == 10);
    for (std::size_t i = 0; i < list.size(); ++i) {
      CHECK(list[i].seq() == acked[i]);
      CHECK(list[i].payload() == seen[0][i].payload());
      CHECK(list[i].group_id() == "team");
    }
  }
  CHECK(seen[2][0].payload() == "m0");
  CHECK(seen[2][0].sender_key() == to_str(a->key().public_key));
  CHECK(seen[2][1].sender_key() == to_str(b->key().public_key));
}

TEST_CASE("an offline member receives everything after reconnecting, in order, and acks move its cursor") {
  RelayProcess relay;
  auto a = online(relay);
  auto b_key = DeviceKey::generate();
  { auto b = online(relay, &b_key); }  // registers b, then goes offline
  REQUIRE(a->create_group("g", {b_key.public_key}).has_create_group_ok());
  for (int i = 1; i <= 5; ++i) REQUIRE(a->send_message("g", "p" + std::to_string(i)).has_send_ok());

  auto b = online(relay, &b_key);
  auto first = b->take_deliveries(5);
  REQUIRE(first.size() == 5);
  for (int i = 0; i < 5; ++i) {
    CHECK(first[static_cast<std::size_t>(i)].seq() == static_cast<std::uint64_t>(i + 1));
    CHECK(first[static_cast<std::size_t>(i)].payload() == "p" + std::to_string(i + 1));
  }
  auto ack = b->ack("g", 3);
  REQUIRE(ack.has_ack_ok());
  CHECK(ack.ack_ok().acked_seq() == 3);
  b->close();

  // Reconnect: only what was not acknowledged comes again, then new messages continue the order.
  auto b2 = online(relay, &b_key);
  auto again = b2->take_deliveries(2);
  REQUIRE(again.size() == 2);
  CHECK(again[0].seq() == 4);
  CHECK(again[1].seq() == 5);
  REQUIRE(a->send_message("g", "p6").has_send_ok());
  auto live = b2->take_deliveries(1);
  REQUIRE(live.size() == 1);
  CHECK(live[0].seq() == 6);
  b2->pump(200ms);
  CHECK(b2->deliveries_waiting() == 0);  // no duplicates

  // A cursor never moves backwards, and cannot pass the last message.
  CHECK(b2->ack("g", 6).ack_ok().acked_seq() == 6);
  CHECK(b2->ack("g", 2).ack_ok().acked_seq() == 6);
  CHECK(b2->ack("g", 7).error().code() == pb::SEQUENCE_OUT_OF_RANGE);
}

TEST_CASE("history is paged with Fetch and a member added later sees only what followed its joining") {
  RelayProcess relay;
  auto a = online(relay), late = online(relay);
  REQUIRE(a->create_group("h", {}).has_create_group_ok());
  for (int i = 1; i <= 7; ++i) REQUIRE(a->send_message("h", std::to_string(i)).has_send_ok());

  pb::ClientFrame fetch;
  fetch.mutable_fetch()->set_group_id("h");
  fetch.mutable_fetch()->set_after_seq(2);
  fetch.mutable_fetch()->set_limit(3);
  auto page = a->request(fetch);
  REQUIRE(page.has_fetch_result());
  REQUIRE(page.fetch_result().messages_size() == 3);
  CHECK(page.fetch_result().messages(0).seq() == 3);
  CHECK(page.fetch_result().more());
  fetch.mutable_fetch()->set_after_seq(5);
  auto last = a->request(fetch);
  CHECK(last.fetch_result().messages_size() == 2);
  CHECK_FALSE(last.fetch_result().more());
  fetch.mutable_fetch()->set_limit(501);
  CHECK(a->request(fetch).error().code() == pb::INVALID_ARGUMENT);

  pb::ClientFrame add;
  add.mutable_add_members()->set_group_id("h");
  add.mutable_add_members()->add_member_keys(to_str(late->key().public_key));
  auto added = a->request(add);
  REQUIRE(added.has_membership_ok());
  CHECK(added.membership_ok().member_count() == 2);
  REQUIRE(a->send_message("h", "8").has_send_ok());
  auto got = late->take_deliveries(1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].seq() == 8);
  fetch.mutable_fetch()->set_after_seq(0);
  fetch.mutable_fetch()->set_limit(0);
  auto history = late->request(fetch);
  REQUIRE(history.fetch_result().messages_size() == 1);
  CHECK(history.fetch_result().messages(0).seq() == 8);
}

TEST_CASE("non-members cannot send, and removed members stop receiving") {
  RelayProcess relay;
  auto a = online(relay), b = online(relay), outsider = online(relay);
  REQUIRE(a->create_group("r", {b->key().public_key}).has_create_group_ok());
  CHECK(outsider->send_message("r", "x").error().code() == pb::NOT_A_MEMBER);
  CHECK(outsider->send_message("nope", "x").error().code() == pb::GROUP_NOT_FOUND);
  CHECK(a->create_group("r", {}).error().code() == pb::GROUP_EXISTS);
  CHECK(a->create_group("r2", {Bytes(32, 9)}).error().code() == pb::INVALID_ARGUMENT);

  pb::ClientFrame remove;
  remove.mutable_remove_members()->set_group_id("r");
  remove.mutable_remove_members()->add_member_keys(to_str(b->key().public_key));
  REQUIRE(a->request(remove).has_membership_ok());
  REQUIRE(a->send_message("r", "after removal").has_send_ok());
  b->pump(300ms);
  CHECK(b->deliveries_waiting() == 0);
  CHECK(b->send_message("r", "x").error().code() == pb::NOT_A_MEMBER);

  pb::ClientFrame list;
  list.mutable_list_groups();
  auto groups = a->request(list);
  REQUIRE(groups.group_list().groups_size() == 1);
  CHECK(groups.group_list().groups(0).member_count() == 1);
  CHECK(groups.group_list().groups(0).last_seq() == 1);
}

TEST_CASE("key packages are consumed once, then the last-resort one is returned every time") {
  RelayProcess relay;
  auto owner = online(relay), other = online(relay);
  pb::ClientFrame up;
  up.mutable_upload_key_packages()->add_key_packages("kp1");
  up.mutable_upload_key_packages()->add_key_packages("kp2");
  up.mutable_upload_key_packages()->set_last_resort("last");
  auto ok = owner->request(up);
  REQUIRE(ok.has_upload_key_packages_ok());
  CHECK(ok.upload_key_packages_ok().available() == 2);

  pb::ClientFrame fetch;
  fetch.mutable_fetch_key_package()->set_device_key(to_str(owner->key().public_key));
  std::vector<std::string> got;
  for (int i = 0; i < 4; ++i) {
    auto kp = other->request(fetch);
    REQUIRE(kp.has_key_package());
    got.push_back(kp.key_package().key_package());
    CHECK(kp.key_package().last_resort() == (i >= 2));
  }
  CHECK(got == std::vector<std::string>{"kp1", "kp2", "last", "last"});

  auto fresh = online(relay);
  fetch.mutable_fetch_key_package()->set_device_key(to_str(fresh->key().public_key));
  CHECK(other->request(fetch).error().code() == pb::NO_KEY_PACKAGE);
  pb::ClientFrame too_big;
  too_big.mutable_upload_key_packages()->add_key_packages(std::string(65537, 'k'));
  CHECK(owner->request(too_big).error().code() == pb::INVALID_ARGUMENT);
}

TEST_CASE("frames that wait together arrive as batches, unpacked in order, nothing lost") {
  RelayProcess relay;
  auto a = online(relay), b = online(relay);
  REQUIRE(a->create_group("bulk", {b->key().public_key}).has_create_group_ok());
  // b stops reading, so its socket fills and the relay's queue for it builds up.
  b->pause_reading();
  constexpr int kMessages = 300;
  const std::string filler(20 * 1024, 'x');
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < kMessages; ++i) {
    pb::ClientFrame f;
    f.mutable_send()->set_group_id("bulk");
    f.mutable_send()->set_kind(pb::APPLICATION);
    f.mutable_send()->set_payload(std::to_string(i) + ":" + filler);
    ids.push_back(a->send(f));
  }
  for (auto id : ids) REQUIRE(a->wait_response(id, 20s).has_send_ok());
  b->resume_reading();
  auto got = b->take_deliveries(kMessages, 60s);
  REQUIRE(got.size() == kMessages);
  for (int i = 0; i < kMessages; ++i) {
    CHECK(got[std::size_t(i)].seq() == std::uint64_t(i + 1));
    CHECK(got[std::size_t(i)].payload().rfind(std::to_string(i) + ":", 0) == 0);
  }
  CHECK(b->batches_received() > 0);
  // The sender's own copies arrive too, in the same order.
  auto own = a->take_deliveries(kMessages, 60s);
  REQUIRE(own.size() == kMessages);
  CHECK(own.back().seq() == kMessages);
}

TEST_CASE("a relay without a pinned root knows no people: FetchUserKeyPackages is not supported") {
  RelayProcess relay;
  auto a = online(relay);
  pb::ClientFrame f;
  f.mutable_fetch_user_key_packages()->set_agency_id("moi");
  f.mutable_fetch_user_key_packages()->set_user_id("bob");
  auto reply = a->request(f);
  REQUIRE(reply.has_error());
  CHECK(reply.error().code() == pb::NOT_SUPPORTED);
}
