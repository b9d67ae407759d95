// The client core end to end: real clients (own threads, encrypted stores) on the real relay in
// certificate mode. Direct chats, a group across three agencies, classified groups with clearance
// checks and no write-down, offline catch-up, two devices of one person, a restart of everything,
// Thai search, and relay endpoints tried in turn.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>

#include <sodium.h>

#include "client_world.hpp"
#include "gchat/identity/key_file.hpp"

using namespace gchat;
using namespace gchat::testing;
using identity::Clearance;

namespace {

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The message reached `status` or went beyond it (SENT < DELIVERED < READ: the relay may hand a
// message back before it confirms it).
bool has_status(client::Client& c, const std::string& message_id, api::MessageStatus status) {
  auto rank = [](api::MessageStatus s) { return s == api::READ ? 3 : s == api::DELIVERED ? 2 : s == api::SENT ? 1 : 0; };
  return c
      .wait_event([&](const api::Event& e) {
        return e.has_status() && e.status().message_id() == message_id && rank(e.status().status()) >= rank(status);
      },
                  kWait)
      .has_value();
}

}  // namespace

TEST_CASE("a direct chat across two agencies: verified senders, replies, delivery and read status, nothing in clear on disk") {
  ClientWorld w;
  auto alice = w.enrol("moi", "alice", Clearance::secret);
  auto bob = w.enrol("mof", "bob", Clearance::confidential);

  auto created = create(*alice, idv1::DIRECT, idv1::UNCLASSIFIED, "", {ref("mof", "bob")});
  REQUIRE_MESSAGE(created.has_conversation(), created.DebugString());
  const std::string chat = created.conversation().conversation_id();
  CHECK(created.conversation().members_size() == 2);
  auto joined = wait_conversation(*bob);
  REQUIRE(joined);
  CHECK(joined->conversation_id() == chat);
  CHECK(joined->kind() == idv1::DIRECT);

  const std::string hello = "สวัสดีครับ คุณบ็อบ ประชุมพรุ่งนี้เก้าโมง";
  auto sent = send_text(*alice, chat, hello);
  REQUIRE_MESSAGE(sent.has_message(), sent.DebugString());
  CHECK(sent.message().status() == api::QUEUED);
  auto got = wait_message(*bob, hello);
  REQUIRE(got);
  CHECK(got->sender().person().user_id() == "alice");
  CHECK(got->sender().person().agency_id() == "moi");
  CHECK(got->sender().person().name_th() == "คุณ alice");
  CHECK(got->sender().person().clearance() == idv1::SECRET);
  CHECK(got->sender().device_name() == "alice-laptop");
  CHECK(has_status(*alice, sent.message().message_id(), api::DELIVERED));

  auto reply = send_text(*bob, chat, "รับทราบครับ", got->message_id());
  REQUIRE(reply.has_message());
  auto answer = wait_message(*alice, "รับทราบครับ");
  REQUIRE(answer);
  CHECK(answer->reply_to() == got->message_id());
  CHECK(answer->sender().person().agency_id() == "mof");

  api::Request list;
  list.mutable_list_conversations();
  auto before_read = bob->call(list, kWait);
  REQUIRE(before_read.conversations().conversations_size() == 1);
  CHECK(before_read.conversations().conversations(0).unread() == 1);
  CHECK(before_read.conversations().conversations(0).last_message().text() == "รับทราบครับ");
  api::Request read;
  read.mutable_mark_read()->set_conversation_id(chat);
  REQUIRE(bob->call(read, kWait).done());
  CHECK(bob->call(list, kWait).conversations().conversations(0).unread() == 0);
  CHECK(has_status(*alice, sent.message().message_id(), api::READ));

  const auto mine = history(*alice, chat);
  REQUIRE(mine.messages_size() == 2);
  CHECK(mine.messages(0).text() == hello);
  CHECK(mine.messages(0).outgoing());
  CHECK(mine.messages(1).text() == "รับทราบครับ");
  CHECK(mine.messages(0).seq() < mine.messages(1).seq());

  // The stores hold history, names and keys, all sealed.
  alice.reset();
  bob.reset();
  for (const char* device : {"alice-laptop", "bob-laptop"}) {
    const std::string base = w.dir.file(device) + "/client.db";
    const std::string raw = file_bytes(base) + file_bytes(base + "-wal");
    REQUIRE(raw.size() > 4096);
    for (const std::string& needle : {std::string("ประชุม"), std::string("รับทราบ"), std::string("Khun alice"),
                                     std::string("Agency mof")}) {
      CHECK_MESSAGE(raw.find(needle) == std::string::npos, needle << " is in clear in " << device);
    }
  }
}

TEST_CASE("a group of 20 people from three agencies: everyone gets every message, once, in order") {
  ClientWorld w;
  const char* agencies[] = {"moi", "mof", "mod"};
  std::vector<std::unique_ptr<client::Client>> people;
  std::vector<idv1::UserRef> members;
  for (int i = 0; i < 20; ++i) {
    const std::string agency = agencies[i % 3];
    const std::string user = "user" + std::to_string(i);
    people.push_back(w.enrol(agency, user, Clearance::unclassified));
    if (i > 0) members.push_back(ref(agency, user));
  }
  auto created = create(*people[0], idv1::GROUP, idv1::UNCLASSIFIED, "คณะทำงานร่วม", members);
  REQUIRE_MESSAGE(created.has_conversation(), created.DebugString());
  CHECK(created.conversation().members_size() == 20);
  const std::string group = created.conversation().conversation_id();
  for (int i = 1; i < 20; ++i) {
    auto c = wait_conversation(*people[i]);
    REQUIRE_MESSAGE(c, "user" << i << " never joined");
    CHECK(c->title() == "คณะทำงานร่วม");
  }
  for (int n = 0; n < 3; ++n) REQUIRE(send_text(*people[0], group, "ประกาศ " + std::to_string(n)).has_message());
  REQUIRE(send_text(*people[7], group, "ตอบจาก user7").has_message());
  for (int i = 1; i < 20; ++i) {
    for (int n = 0; n < 3; ++n) REQUIRE_MESSAGE(wait_message(*people[i], "ประกาศ " + std::to_string(n)), "user" << i);
    if (i != 7) REQUIRE_MESSAGE(wait_message(*people[i], "ตอบจาก user7"), "user" << i);
  }
  REQUIRE(wait_message(*people[0], "ตอบจาก user7"));
  // One order for everyone: the relay's. user0's three posts keep their order within it.
  const auto seen = history(*people[13], group);
  const auto first = history(*people[0], group);
  REQUIRE(seen.messages_size() == 4);
  REQUIRE(first.messages_size() == 4);
  std::vector<std::string> from_user0;
  for (int n = 0; n < 4; ++n) {
    CHECK(seen.messages(n).message_id() == first.messages(n).message_id());
    if (n > 0) CHECK(seen.messages(n - 1).seq() < seen.messages(n).seq());
    if (seen.messages(n).sender().person().user_id() == "user0") from_user0.push_back(seen.messages(n).text());
  }
  CHECK(from_user0 == std::vector<std::string>{"ประกาศ 0", "ประกาศ 1", "ประกาศ 2"});
}

TEST_CASE("a classified group admits only the cleared, and nothing is forwarded down") {
  ClientWorld w;
  auto alice = w.enrol("moi", "alice", Clearance::top_secret);
  auto bob = w.enrol("mod", "bob", Clearance::secret);
  auto carol = w.enrol("mof", "carol", Clearance::confidential);

  // Carol is not cleared for ลับมาก (Secret): her client is never asked, alice's refuses.
  auto refused = create(*alice, idv1::GROUP, idv1::SECRET, "ห้องลับมาก", {ref("mod", "bob"), ref("mof", "carol")});
  REQUIRE(refused.has_error());
  CHECK(refused.error().code() == api::NOT_CLEARED);

  auto created = create(*alice, idv1::GROUP, idv1::SECRET, "ห้องลับมาก", {ref("mod", "bob")});
  REQUIRE_MESSAGE(created.has_conversation(), created.DebugString());
  const std::string secret_room = created.conversation().conversation_id();
  CHECK(created.conversation().level() == idv1::SECRET);
  REQUIRE(wait_conversation(*bob));
  api::Request add;
  add.mutable_add_members()->set_conversation_id(secret_room);
  *add.mutable_add_members()->add_members() = ref("mof", "carol");
  auto add_refused = alice->call(add, kWait);
  REQUIRE(add_refused.has_error());
  CHECK(add_refused.error().code() == api::NOT_CLEARED);
  // Nobody above one's own clearance.
  auto too_high = create(*carol, idv1::GROUP, idv1::SECRET, "", {});
  REQUIRE(too_high.has_error());
  CHECK(too_high.error().code() == api::NOT_CLEARED);

  auto secret = send_text(*alice, secret_room, "แผนลับมาก");
  REQUIRE(secret.has_message());
  auto got = wait_message(*bob, "แผนลับมาก");
  REQUIRE(got);

  // Bob's unclassified chat with carol: the secret text cannot go there.
  auto open_chat = create(*bob, idv1::DIRECT, idv1::UNCLASSIFIED, "", {ref("mof", "carol")});
  REQUIRE(open_chat.has_conversation());
  const std::string chat = open_chat.conversation().conversation_id();
  REQUIRE(wait_conversation(*carol));
  api::Request down;
  down.mutable_forward()->set_message_id(got->message_id());
  down.mutable_forward()->set_to_conversation_id(chat);
  auto write_down = bob->call(down, kWait);
  REQUIRE(write_down.has_error());
  CHECK(write_down.error().code() == api::WRITE_DOWN);

  // Upwards is fine, and the forward shows and proves its first author.
  auto plain = send_text(*carol, chat, "เอกสารทั่วไป");
  REQUIRE(plain.has_message());
  auto plain_got = wait_message(*bob, "เอกสารทั่วไป");
  REQUIRE(plain_got);
  api::Request up;
  up.mutable_forward()->set_message_id(plain_got->message_id());
  up.mutable_forward()->set_to_conversation_id(secret_room);
  auto forwarded = bob->call(up, kWait);
  REQUIRE_MESSAGE(forwarded.has_message(), forwarded.DebugString());
  auto at_alice = wait_message(*alice, "เอกสารทั่วไป");
  REQUIRE(at_alice);
  CHECK(at_alice->sender().person().user_id() == "bob");
  REQUIRE(at_alice->has_forwarded());
  CHECK(at_alice->forwarded().original_sender().person().user_id() == "carol");
  CHECK(at_alice->forwarded().original_level() == idv1::UNCLASSIFIED);
}

TEST_CASE("offline: messages queue while no relay answers, and an offline member catches up in order") {
  ClientWorld w;
  auto alice = w.enrol("moi", "alice", Clearance::unclassified);
  auto bob = w.enrol("mof", "bob", Clearance::unclassified);
  auto created = create(*alice, idv1::DIRECT, idv1::UNCLASSIFIED, "", {ref("mof", "bob")});
  REQUIRE(created.has_conversation());
  const std::string chat = created.conversation().conversation_id();
  REQUIRE(wait_conversation(*bob));

  bob.reset();  // bob goes offline
  std::vector<std::string> ids;
  for (int n = 0; n < 5; ++n) {
    auto sent = send_text(*alice, chat, "ข้อความที่ " + std::to_string(n));
    REQUIRE(sent.has_message());
    ids.push_back(sent.message().message_id());
  }
  for (const auto& id : ids) REQUIRE(has_status(*alice, id, api::SENT));

  // Alice, restarted with no reachable relay, writes anyway: the message waits in her store.
  alice.reset();
  alice = w.start("alice-laptop", {"127.0.0.1:1"});
  auto queued = send_text(*alice, chat, "เขียนตอนออฟไลน์");
  REQUIRE_MESSAGE(queued.has_message(), queued.DebugString());
  CHECK(queued.message().status() == api::QUEUED);
  api::Request st;
  st.mutable_status();
  auto report = alice->call(st, kWait);
  CHECK(report.status().queued() == 1);
  CHECK(report.status().connection().state() != api::ConnectionState::CONNECTED);
  alice.reset();

  alice = w.start("alice-laptop");
  bob = w.start("bob-laptop");
  for (int n = 0; n < 5; ++n) REQUIRE_MESSAGE(wait_message(*bob, "ข้อความที่ " + std::to_string(n)), n);
  REQUIRE(wait_message(*bob, "เขียนตอนออฟไลน์"));
  const auto seen = history(*bob, chat);
  REQUIRE(seen.messages_size() == 6);
  // Paging backwards: the newest two, then the two before them.
  const auto newest = history(*bob, chat, 2);
  REQUIRE(newest.messages_size() == 2);
  CHECK(newest.more());
  CHECK(newest.messages(1).text() == "เขียนตอนออฟไลน์");
  api::Request older;
  older.mutable_history()->set_conversation_id(chat);
  older.mutable_history()->set_before_message_id(newest.messages(0).message_id());
  older.mutable_history()->set_limit(2);
  auto page = bob->call(older, kWait);
  REQUIRE(page.messages().messages_size() == 2);
  CHECK(page.messages().messages(0).text() == "ข้อความที่ 2");
  CHECK(page.messages().messages(1).text() == "ข้อความที่ 3");
  for (int n = 0; n < 5; ++n) CHECK(seen.messages(n).text() == "ข้อความที่ " + std::to_string(n));
  CHECK(seen.messages(5).text() == "เขียนตอนออฟไลน์");
  for (int n = 1; n < 6; ++n) CHECK(seen.messages(n - 1).seq() < seen.messages(n).seq());
}

TEST_CASE("two devices of one person stay in sync") {
  ClientWorld w;
  auto laptop = w.enrol_by_code("moi", "alice", Clearance::secret, "alice-laptop");
  auto bob = w.enrol("mof", "bob", Clearance::secret);
  auto created = create(*laptop, idv1::GROUP, idv1::CONFIDENTIAL, "งานด่วน", {ref("mof", "bob")});
  REQUIRE(created.has_conversation());
  const std::string group = created.conversation().conversation_id();
  REQUIRE(wait_conversation(*bob));

  // The phone asks, the laptop approves (it holds alice's identity key), the phone completes.
  auto phone = w.start("alice-phone");
  api::Request ask;
  ask.mutable_request_link();
  auto asked = phone->call(ask, kWait);
  REQUIRE(asked.has_link_requested());
  api::Request approve;
  approve.mutable_approve_link()->set_device_key(asked.link_requested().device_key());
  approve.mutable_approve_link()->set_device_name("alice-phone");
  auto approved = laptop->call(approve, kWait);
  REQUIRE_MESSAGE(approved.has_link_approved(), approved.DebugString());
  api::Request complete;
  complete.mutable_complete_link()->set_token(approved.link_approved().token());
  auto linked = phone->call(complete, kWait);
  REQUIRE_MESSAGE(linked.has_enrolled(), linked.DebugString());
  CHECK(linked.enrolled().person().user_id() == "alice");

  // The laptop adds the phone to the group once the phone has published its key packages.
  auto on_phone = wait_conversation(*phone);
  REQUIRE_MESSAGE(on_phone, "the phone never joined the group");
  CHECK(on_phone->conversation_id() == group);

  REQUIRE(send_text(*bob, group, "ถึงอลิซทุกเครื่อง").has_message());
  REQUIRE(wait_message(*laptop, "ถึงอลิซทุกเครื่อง"));
  REQUIRE(wait_message(*phone, "ถึงอลิซทุกเครื่อง"));
  REQUIRE(send_text(*phone, group, "ส่งจากมือถือ").has_message());
  auto at_bob = wait_message(*bob, "ส่งจากมือถือ");
  REQUIRE(at_bob);
  CHECK(at_bob->sender().device_name() == "alice-phone");
  CHECK(at_bob->sender().person().user_id() == "alice");
  REQUIRE(wait_message(*laptop, "ส่งจากมือถือ"));

  // A conversation bob starts later reaches both of alice's devices.
  auto later = create(*bob, idv1::DIRECT, idv1::UNCLASSIFIED, "", {ref("moi", "alice")});
  REQUIRE(later.has_conversation());
  REQUIRE(wait_conversation(*laptop));
  REQUIRE(wait_conversation(*phone));
}

TEST_CASE("a restart of every client and of the relay loses nothing; search finds Thai words inside sentences") {
  ClientWorld w;
  auto alice = w.enrol("moi", "alice", Clearance::confidential);
  auto bob = w.enrol("mof", "bob", Clearance::confidential);
  auto created = create(*alice, idv1::GROUP, idv1::CONFIDENTIAL, "งบประมาณ", {ref("mof", "bob")});
  REQUIRE(created.has_conversation());
  const std::string group = created.conversation().conversation_id();
  REQUIRE(wait_conversation(*bob));
  const std::string sentence = "พรุ่งนี้มีการประชุมที่กระทรวงการคลังเรื่องงบประมาณ";
  REQUIRE(send_text(*alice, group, sentence).has_message());
  REQUIRE(wait_message(*bob, sentence));

  alice.reset();
  bob.reset();
  REQUIRE(w.relay.stop() == 0);
  w.relay.restart();
  // Two endpoints, the first dead: the clients move on to the second.
  const std::vector<std::string> endpoints = {"127.0.0.1:1", "127.0.0.1:" + std::to_string(w.relay.port())};
  alice = w.start("alice-laptop", endpoints);
  bob = w.start("bob-laptop", endpoints);
  ClientWorld::wait_connected(*alice);
  ClientWorld::wait_connected(*bob);

  CHECK(history(*alice, group).messages_size() == 1);
  CHECK(history(*bob, group).messages_size() == 1);
  REQUIRE(send_text(*bob, group, "หลังรีสตาร์ท").has_message());
  REQUIRE(wait_message(*alice, "หลังรีสตาร์ท"));
  REQUIRE(send_text(*alice, group, "ยังใช้ได้").has_message());
  REQUIRE(wait_message(*bob, "ยังใช้ได้"));

  for (auto* c : {alice.get(), bob.get()}) {
    const auto found = search(*c, "ประชุม");
    REQUIRE(found.messages_size() == 1);
    CHECK(found.messages(0).text() == sentence);
    CHECK(search(*c, "กระทรวง").messages_size() == 1);
    CHECK(search(*c, "สนามบิน").messages_size() == 0);
  }
}

TEST_CASE("lowering a clearance: the relay proposes the removal, a member's client commits it on its own") {
  ClientWorld w;
  auto alice = w.enrol("moi", "alice", Clearance::secret);
  auto bob = w.enrol("mod", "bob", Clearance::secret);
  auto dan = w.enrol("mof", "dan", Clearance::secret);
  auto created = create(*alice, idv1::GROUP, idv1::SECRET, "ห้องลับมาก", {ref("mod", "bob"), ref("mof", "dan")});
  REQUIRE_MESSAGE(created.has_conversation(), created.DebugString());
  const std::string room = created.conversation().conversation_id();
  REQUIRE(wait_conversation(*bob));
  REQUIRE(wait_conversation(*dan));
  REQUIRE(send_text(*alice, room, "ก่อนเปลี่ยนชั้นความลับ").has_message());
  REQUIRE(wait_message(*bob, "ก่อนเปลี่ยนชั้นความลับ"));

  // The mod clearance officer renews bob's certificate at ลับ (Confidential).
  w.set_clearance("mod", "bob", Clearance::confidential);

  // Nobody types anything: alice's or dan's client commits the relay's Remove proposal.
  auto removed = alice->wait_event(
      [](const api::Event& e) { return e.has_membership() && e.membership().removed_size() == 1; }, kWait);
  REQUIRE_MESSAGE(removed, "no client committed the removal");
  CHECK(removed->membership().removed(0).user_id() == "bob");
  REQUIRE(dan->wait_event([](const api::Event& e) { return e.has_membership() && e.membership().removed_size() == 1; },
                          kWait));
  REQUIRE(send_text(*alice, room, "หลังเปลี่ยนชั้นความลับ").has_message());
  REQUIRE(wait_message(*dan, "หลังเปลี่ยนชั้นความลับ"));
  CHECK_FALSE(wait_message(*bob, "หลังเปลี่ยนชั้นความลับ", 2s));
  api::Request list;
  list.mutable_list_conversations();
  auto convs = alice->call(list, kWait);
  REQUIRE(convs.conversations().conversations_size() == 1);
  CHECK(convs.conversations().conversations(0).members_size() == 2);
}

TEST_CASE("an administrator's front end: enrol a person, see the agency's people, lower a clearance, revoke a device") {
  ClientWorld w;
  auto officer = w.enrol("moi", "somsri", Clearance::secret);
  // The administrator key file, as gchat-admin writes it, imported into the officer's store.
  const std::string key_file = w.dir.file("admin-moi.key");
  Bytes pass_bytes{'p', 'a', 's', 's', 'p', 'h', 'r', 'a', 's', 'e', '-', '1', '2'};
  const SecretBytes pass(pass_bytes);
  REQUIRE(identity::write_key_file(key_file, "admin", w.admins.at("moi").key, pass,
                                   {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN})
              .ok());
  std::ifstream in(key_file);
  const std::string key_text((std::istreambuf_iterator<char>(in)), {});
  api::Request import;
  import.mutable_import_admin_key()->set_key_file(key_text);
  import.mutable_import_admin_key()->set_passphrase("wrong");
  import.mutable_import_admin_key()->set_admin_chain(w.admins.at("moi").chain.SerializeAsString());
  auto wrong = officer->call(import, kWait);
  REQUIRE(wrong.has_error());
  CHECK(wrong.error().code() == api::WRONG_PASSPHRASE);
  import.mutable_import_admin_key()->set_passphrase("passphrase-12");
  auto imported = officer->call(import, kWait);
  REQUIRE_MESSAGE(imported.has_admin_identity(), imported.DebugString());
  CHECK(imported.admin_identity().admin_id() == "admin-moi");

  // A new colleague: a code from the officer's front end, typed into the colleague's client.
  api::Request grant;
  grant.mutable_grant_enrolment()->set_user_id("malee");
  grant.mutable_grant_enrolment()->set_name_th("มาลี");
  grant.mutable_grant_enrolment()->set_name_en("Malee");
  grant.mutable_grant_enrolment()->set_level(idv1::SECRET);
  auto granted = officer->call(grant, kWait);
  REQUIRE_MESSAGE(granted.has_admin(), granted.DebugString());
  const std::string code = granted.admin().code();
  auto malee = w.start("malee-laptop");
  api::Request enrol;
  enrol.mutable_enrol()->set_code(code);
  auto pending = malee->call(enrol, kWait);
  REQUIRE(pending.has_error());
  CHECK(pending.error().code() == api::PENDING);
  api::Request complete;
  complete.mutable_complete_enrolments();
  auto completed = officer->call(complete, kWait);
  REQUIRE_MESSAGE(completed.has_admin(), completed.DebugString());
  REQUIRE(completed.admin().issued_size() == 1);
  CHECK(completed.admin().issued(0) == "moi/malee");
  auto enrolled = malee->call(enrol, kWait);
  REQUIRE_MESSAGE(enrolled.has_enrolled(), enrolled.DebugString());
  CHECK(enrolled.enrolled().person().name_th() == "มาลี");
  CHECK(enrolled.enrolled().person().clearance() == idv1::SECRET);
  ClientWorld::wait_connected(*malee);

  api::Request people;
  people.mutable_list_people();
  auto listed = officer->call(people, kWait);
  REQUIRE(listed.has_admin());
  bool found = false;
  for (const auto& p : listed.admin().people()) found |= p.user_id() == "malee" && p.clearance() == idv1::SECRET;
  CHECK(found);

  api::Request lower;
  *lower.mutable_set_clearance()->mutable_user() = ref("moi", "malee");
  lower.mutable_set_clearance()->set_level(idv1::CONFIDENTIAL);
  auto lowered = officer->call(lower, kWait);
  REQUIRE_MESSAGE(lowered.has_admin(), lowered.DebugString());
  CHECK(lowered.admin().previous() == idv1::SECRET);
  CHECK(lowered.admin().audit_seq() > 0);

  // Revoking a device cuts it off: it cannot connect any more.
  api::Request revoke;
  revoke.mutable_revoke_device()->set_device_key(enrolled.enrolled().device_key());
  auto revoked = officer->call(revoke, kWait);
  REQUIRE_MESSAGE(revoked.has_admin(), revoked.DebugString());
  // Someone without an administrator key gets a clear refusal.
  auto refused = malee->call(people, kWait);
  REQUIRE(refused.has_error());
  CHECK(refused.error().code() == api::NOT_ADMIN);
}

TEST_CASE("bad requests get clear errors with stable codes, and change nothing") {
  ClientWorld w;
  auto alice = w.enrol("moi", "alice", Clearance::secret);
  auto expect = [&](client::Client& c, api::Request r, api::ErrorCode code) {
    auto resp = c.call(r, kWait);
    REQUIRE_MESSAGE(resp.has_error(), resp.DebugString());
    CHECK_MESSAGE(resp.error().code() == code, resp.DebugString());
    CHECK_FALSE(resp.error().message().empty());
  };
  api::Request r;
  r.mutable_send_text()->set_conversation_id("no such conversation");
  r.mutable_send_text()->set_text("x");
  expect(*alice, r, api::NOT_FOUND);

  auto created = create(*alice, idv1::GROUP, idv1::SECRET, "ห้อง", {});
  REQUIRE(created.has_conversation());
  const std::string room = created.conversation().conversation_id();
  r.mutable_send_text()->set_conversation_id(room);
  r.mutable_send_text()->set_text("");
  expect(*alice, r, api::INVALID_ARGUMENT);
  r.mutable_send_text()->set_text(std::string(64 * 1024 + 1, 'a'));
  expect(*alice, r, api::INVALID_ARGUMENT);
  r.mutable_send_text()->set_text("ตอบ");
  r.mutable_send_text()->set_reply_to("not a message id");
  expect(*alice, r, api::NOT_FOUND);

  api::Request direct;
  direct.mutable_create_conversation()->set_kind(idv1::DIRECT);
  expect(*alice, direct, api::INVALID_ARGUMENT);  // a direct chat needs exactly one other person
  *direct.mutable_create_conversation()->add_members() = ref("moi", "nobody");
  expect(*alice, direct, api::NOT_FOUND);         // nobody by that name has a device
  api::Request channel;
  channel.mutable_create_conversation()->set_kind(idv1::CHANNEL);
  expect(*alice, channel, api::INVALID_ARGUMENT);

  api::Request page;
  page.mutable_history()->set_conversation_id(room);
  page.mutable_history()->set_before_message_id("missing");
  expect(*alice, page, api::NOT_FOUND);
  api::Request find;
  find.mutable_search()->set_query("");
  expect(*alice, find, api::INVALID_ARGUMENT);
  find.mutable_search()->set_query(std::string(2000, 'k'));
  expect(*alice, find, api::INVALID_ARGUMENT);
  api::Request fwd;
  fwd.mutable_forward()->set_message_id("missing");
  fwd.mutable_forward()->set_to_conversation_id(room);
  expect(*alice, fwd, api::NOT_FOUND);
  api::Request empty;
  expect(*alice, empty, api::INVALID_ARGUMENT);
  api::Request again;
  again.mutable_enrol()->set_code("AAAA-BBBB-CCCC-DDDD-EEEE");
  expect(*alice, again, api::ALREADY_ENROLLED);
  api::Request approve;
  approve.mutable_approve_link()->set_device_key("short");
  expect(*alice, approve, api::NOT_PERMITTED);  // linked by the test PKI: alice's laptop holds no identity key

  // A device being linked refuses tokens that are garbage, or that certify another device's key.
  auto fresh = w.start("fresh-device");
  api::Request complete;
  complete.mutable_complete_link()->set_token("garbage");
  expect(*fresh, complete, api::INVALID_ARGUMENT);
  api::Request ask;
  ask.mutable_request_link();
  REQUIRE(fresh->call(ask, kWait).has_link_requested());
  const idv1::Chain other = w.pki.chain_for(w.admins.at("moi"), w.users.at("alice"), std::string(32, 'k'), "thief");
  api::LinkToken token;
  *token.mutable_chain() = other.SerializeAsString();
  complete.mutable_complete_link()->set_token(token.SerializeAsString());
  expect(*fresh, complete, api::CERTIFICATE);
  api::Request before_enrol;
  before_enrol.mutable_list_conversations();
  expect(*fresh, before_enrol, api::NOT_ENROLLED);
  api::Request import;
  import.mutable_import_admin_key()->set_key_file("{\"format\": \"not a key\"}");
  import.mutable_import_admin_key()->set_passphrase("x");
  expect(*fresh, import, api::INVALID_ARGUMENT);

  // Before Open, nothing but Open and Status.
  client::Client closed(w.config("closed-device"));
  api::Request list;
  list.mutable_list_conversations();
  expect(closed, list, api::NOT_OPEN);
  api::Request no_key;
  no_key.mutable_open();
  expect(closed, no_key, api::INVALID_ARGUMENT);
}
