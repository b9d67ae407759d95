// History on a linked device, with real clients on the real relay: the device that links a new one
// sends it the conversations' earlier messages end to end encrypted; the new device shows them in
// order with their verified authors, refuses any item that does not verify, and gets nothing of a
// conversation above the person's clearance.
#include <doctest/doctest.h>
#include <sodium.h>

#include <set>
#include <thread>

#include "client_world.hpp"
#include "gchat/client/store.hpp"

using namespace gchat;
using namespace gchat::testing;
using identity::Clearance;

namespace {

// The phone asks, the laptop (it holds the person's identity key) approves, the phone completes.
std::unique_ptr<client::Client> link_phone(ClientWorld& w, client::Client& laptop, const std::string& name) {
  auto phone = w.start(name);
  api::Request ask;
  ask.mutable_request_link();
  auto asked = phone->call(ask, kWait);
  REQUIRE_MESSAGE(asked.has_link_requested(), asked.DebugString());
  api::Request approve;
  approve.mutable_approve_link()->set_device_key(asked.link_requested().device_key());
  approve.mutable_approve_link()->set_device_name(name);
  auto approved = laptop.call(approve, kWait);
  REQUIRE_MESSAGE(approved.has_link_approved(), approved.DebugString());
  api::Request complete;
  complete.mutable_complete_link()->set_token(approved.link_approved().token());
  auto linked = phone->call(complete, kWait);
  REQUIRE_MESSAGE(linked.has_enrolled(), linked.DebugString());
  return phone;
}

// HistoryArrived events summed per conversation until each of `conversations` is complete.
std::map<std::string, api::HistoryArrived> wait_history(client::Client& c, const std::set<std::string>& conversations) {
  std::map<std::string, api::HistoryArrived> got;
  auto complete = [&] {
    return std::all_of(conversations.begin(), conversations.end(),
                       [&](const std::string& id) { return got.count(id) && got.at(id).complete(); });
  };
  while (!complete()) {
    auto e = c.wait_event([](const api::Event& ev) { return ev.has_history(); }, kWait);
    if (!e) break;
    auto& sum = got[e->history().conversation_id()];
    sum.set_conversation_id(e->history().conversation_id());
    sum.set_messages(sum.messages() + e->history().messages());
    sum.set_refused(sum.refused() + e->history().refused());
    sum.set_complete(sum.complete() || e->history().complete());
  }
  return got;
}

// A group the laptop makes with one other person, who has joined it: its id.
std::string room(client::Client& laptop, client::Client& other, const idv1::UserRef& who, idv1::Clearance level,
                 const std::string& title) {
  auto made = create(laptop, idv1::GROUP, level, title, {who});
  REQUIRE_MESSAGE(made.has_conversation(), made.DebugString());
  REQUIRE(wait_conversation(other));
  return made.conversation().conversation_id();
}

// Every message of the conversation placed by the relay (the sender's own ones come back in place).
void wait_placed(client::Client& c, const std::string& conversation, int count) {
  for (int i = 0; i < 600; ++i) {
    auto h = history(c, conversation);
    const bool placed =
        std::all_of(h.messages().begin(), h.messages().end(), [](const api::Message& m) { return m.seq() > 0; });
    if (h.messages_size() >= count && placed) return;
    std::this_thread::sleep_for(50ms);
  }
  FAIL("the messages were never placed by the relay");
}

std::string random_id() {
  if (sodium_init() < 0) FAIL("libsodium did not start");
  std::string id(16, '\0');
  randombytes_buf(id.data(), id.size());
  return id;
}

// A clearance officer's change for a person enrolled by code (their certificate as the relay has it,
// at another level: same identity key, a new serial, valid from now).
void set_clearance_by_code(ClientWorld& w, const std::string& agency, const std::string& user_id, Clearance level) {
  idv1::AdminAct get;
  get.mutable_get_user()->set_agency_id(agency);
  get.mutable_get_user()->set_user_id(user_id);
  auto current = w.submit(agency, get);
  REQUIRE_MESSAGE(current.has_admin_act_ok(), current.DebugString());
  idv1::UserCertificate body;
  REQUIRE(body.ParseFromString(current.admin_act_ok().user_certificate().body()));
  body.set_serial(w.pki.next_serial++);
  body.set_clearance(static_cast<idv1::Clearance>(level));
  body.set_admin_id(w.admins.at(agency).body.admin_id());
  set_validity(body.mutable_validity(), static_cast<std::int64_t>(std::time(nullptr)) - 60, w.pki.to);
  idv1::AdminAct act;
  *act.mutable_set_clearance() =
      identity::make_signed(identity::SignedKind::user_certificate, body, w.admins.at(agency).key);
  auto ok = w.submit(agency, act);
  REQUIRE_MESSAGE(ok.has_admin_act_ok(), ok.DebugString());
}

std::vector<std::string> texts(const api::Messages& m) {
  std::vector<std::string> out;
  for (const auto& x : m.messages()) out.push_back(x.text());
  return out;
}

}  // namespace

TEST_CASE(
    "a linked phone shows the history of its person's conversations, secret one included, verified and in "
    "order") {
  ClientWorld w;
  auto laptop = w.enrol_by_code("moi", "alice", Clearance::secret, "alice-laptop");
  auto bob = w.enrol("mof", "bob", Clearance::secret);
  const std::string group = room(*laptop, *bob, ref("mof", "bob"), idv1::CONFIDENTIAL, "งานด่วน");
  const std::string secret = room(*laptop, *bob, ref("mof", "bob"), idv1::SECRET, "ลับมาก");

  REQUIRE(send_text(*laptop, group, "ประชุมงบประมาณวันจันทร์").has_message());
  REQUIRE(wait_message(*bob, "ประชุมงบประมาณวันจันทร์"));
  REQUIRE(send_text(*bob, group, "รับทราบ จะเตรียมเอกสาร").has_message());
  auto bobs = wait_message(*laptop, "รับทราบ จะเตรียมเอกสาร");
  REQUIRE(bobs);
  REQUIRE(send_text(*laptop, group, "ขอบคุณครับ").has_message());
  REQUIRE(wait_message(*bob, "ขอบคุณครับ"));
  REQUIRE(send_text(*bob, secret, "แผนลับ ขั้นที่หนึ่ง").has_message());
  REQUIRE(wait_message(*laptop, "แผนลับ ขั้นที่หนึ่ง"));
  // A forward up into the secret room: the phone verifies bob's original signature too.
  api::Request fwd;
  fwd.mutable_forward()->set_message_id(bobs->message_id());
  fwd.mutable_forward()->set_to_conversation_id(secret);
  REQUIRE(laptop->call(fwd, kWait).has_message());
  REQUIRE(send_text(*laptop, secret, "เข้าใจแล้ว").has_message());
  REQUIRE(wait_message(*bob, "เข้าใจแล้ว"));
  wait_placed(*laptop, group, 3);
  wait_placed(*laptop, secret, 3);
  api::Request read;
  read.mutable_mark_read()->set_conversation_id(group);
  REQUIRE(laptop->call(read, kWait).has_done());
  const auto on_laptop_group = history(*laptop, group), on_laptop_secret = history(*laptop, secret);

  auto phone = link_phone(w, *laptop, "alice-phone");
  auto arrived = wait_history(*phone, {group, secret});
  REQUIRE_MESSAGE(arrived.count(group), "no history of the group reached the phone");
  REQUIRE_MESSAGE(arrived.count(secret), "no history of the secret room reached the phone");
  CHECK(arrived.at(group).messages() == 3);
  CHECK(arrived.at(secret).messages() == 3);
  CHECK(arrived.at(group).refused() == 0);
  CHECK(arrived.at(secret).refused() == 0);

  // The same messages, in the same order and places, each from its verified author.
  const auto on_phone = history(*phone, group);
  REQUIRE(on_phone.messages_size() == 3);
  CHECK(texts(on_phone) == texts(on_laptop_group));
  for (int i = 0; i < 3; ++i) {
    const auto& m = on_phone.messages(i);
    const auto& original = on_laptop_group.messages(i);
    CHECK(m.message_id() == original.message_id());
    CHECK(m.seq() == original.seq());
    CHECK(m.sent_at_ms() == original.sent_at_ms());
    CHECK(m.status() == api::RECEIVED);
    CHECK(m.from_other_device());
    CHECK(m.sender().person().user_id() == original.sender().person().user_id());
    CHECK(m.sender().device_name() == original.sender().device_name());
  }
  CHECK(on_phone.messages(0).sender().device_name() == "alice-laptop");
  CHECK(on_phone.messages(1).sender().person().agency_id() == "mof");
  CHECK(on_phone.messages(1).sender().person().clearance() == idv1::SECRET);

  const auto secret_on_phone = history(*phone, secret);
  REQUIRE(secret_on_phone.messages_size() == 3);
  CHECK(texts(secret_on_phone) == texts(on_laptop_secret));
  CHECK(secret_on_phone.messages(1).forwarded().original_sender().person().user_id() == "bob");
  CHECK(secret_on_phone.messages(1).text() == "รับทราบ จะเตรียมเอกสาร");

  // Searchable like any message; what alice had read on the laptop is read on the phone.
  auto found = search(*phone, "งบประมาณ");
  REQUIRE(found.messages_size() == 1);
  CHECK(found.messages(0).from_other_device());
  api::Request list;
  list.mutable_list_conversations();
  auto conversations = phone->call(list, kWait);
  REQUIRE(conversations.has_conversations());
  CHECK(conversations.conversations().conversations_size() == 2);  // the history group is not one
  for (const auto& c : conversations.conversations().conversations()) {
    if (c.conversation_id() == group) CHECK(c.unread() == 0);
  }

  // Later messages come after the history, live.
  REQUIRE(send_text(*bob, group, "หลังเชื่อมเครื่อง").has_message());
  REQUIRE(wait_message(*phone, "หลังเชื่อมเครื่อง"));
  const auto after = history(*phone, group);
  REQUIRE(after.messages_size() == 4);
  CHECK(after.messages(3).text() == "หลังเชื่อมเครื่อง");
  CHECK_FALSE(after.messages(3).from_other_device());
  CHECK(status_of(*phone).undecryptable() == 0);
}

TEST_CASE("history items that do not verify are refused and counted; the genuine ones arrive") {
  ClientWorld w;
  auto laptop = w.enrol_by_code("moi", "alice", Clearance::secret, "alice-laptop");
  auto bob = w.enrol("mof", "bob", Clearance::secret);
  const std::string group = room(*laptop, *bob, ref("mof", "bob"), idv1::UNCLASSIFIED, "ทั่วไป");
  REQUIRE(send_text(*bob, group, "ข้อความจริง หนึ่ง").has_message());
  auto genuine = wait_message(*laptop, "ข้อความจริง หนึ่ง");
  REQUIRE(genuine);
  REQUIRE(send_text(*laptop, group, "ข้อความจริง สอง").has_message());
  REQUIRE(wait_message(*bob, "ข้อความจริง สอง"));
  wait_placed(*laptop, group, 2);

  // A laptop whose store holds forged history (as a compromised device would send).
  laptop.reset();
  {
    auto store = client::Store::open_with_passphrase(w.dir.file("alice-laptop"), "รหัสผ่านทดสอบ test passphrase",
                                                     client::KdfStrength::interactive);
    REQUIRE_MESSAGE(store.ok(), store.error().to_string());
    auto row = (*store)->message(as_bytes(genuine->message_id()));
    REQUIRE((row.ok() && *row));
    api::LocalMessage original;
    REQUIRE(original.ParseFromArray((*row)->message.data(), static_cast<int>((*row)->message.size())));
    std::uint64_t seq = 1000;
    auto plant = [&](const api::Envelope& envelope, const std::string& chain, const std::string& text) {
      api::LocalMessage forged = original;
      *forged.mutable_envelope() = envelope;
      forged.set_sender_chain(chain);
      forged.mutable_message()->set_text(text);
      const std::string id = random_id();
      forged.mutable_message()->set_message_id(id);
      auto added = (*store)->add_message(as_bytes(group), as_bytes(id), ++seq, api::RECEIVED, false,
                                         as_bytes(forged.SerializeAsString()), text);
      REQUIRE_MESSAGE(added.ok(), added.error().to_string());
    };
    // Bob's real post with its text changed: his signature no longer holds.
    {
      api::Post post;
      REQUIRE(post.ParseFromString(original.envelope().post()));
      post.set_message_id(random_id());
      post.mutable_text()->set_body("ปลอม แก้ข้อความ");
      api::Envelope e = original.envelope();
      e.set_post(post.SerializeAsString());
      plant(e, original.sender_chain(), "ปลอม แก้ข้อความ");
    }
    // A post properly signed by a device of bob's, but for another conversation.
    const TestDevice forger = w.pki.device(w.admins.at("mof"), w.users.at("bob"), "bob-other");
    auto signed_post = [](const identity::SigningKey& key, const std::string& conversation, const std::string& text) {
      api::Post post;
      post.set_message_id(random_id());
      post.set_sent_at_ms(1);
      post.set_conversation_id(conversation);
      post.set_level(idv1::UNCLASSIFIED);
      post.mutable_text()->set_body(text);
      api::Envelope e;
      e.set_post(post.SerializeAsString());
      const Bytes sig = key.sign(identity::SignedKind::post, as_bytes(e.post()));
      e.set_signature(std::string(sig.begin(), sig.end()));
      return e;
    };
    plant(signed_post(forger.key, random_id(), "ปลอม ห้องอื่น"), forger.chain.SerializeAsString(), "ปลอม ห้องอื่น");
    // Signed and bound to this conversation, by a "bob" certified under another root.
    TestPki other;
    const TestAgency agency = other.agency("mof");
    const TestAdmin admin = other.admin(agency, "admin-mof");
    const TestUser fake = other.user(admin, "bob", Clearance::secret);
    const TestDevice impostor = other.device(admin, fake, "bob-laptop");
    plant(signed_post(impostor.key, group, "ปลอม รากอื่น"), impostor.chain.SerializeAsString(), "ปลอม รากอื่น");
  }
  laptop = w.start("alice-laptop");
  ClientWorld::wait_connected(*laptop);

  auto phone = link_phone(w, *laptop, "alice-phone");
  auto arrived = wait_history(*phone, {group});
  REQUIRE_MESSAGE(arrived.count(group), "no history reached the phone");
  CHECK(arrived.at(group).messages() == 2);
  CHECK(arrived.at(group).refused() == 3);
  const auto on_phone = history(*phone, group);
  CHECK(texts(on_phone) == std::vector<std::string>{"ข้อความจริง หนึ่ง", "ข้อความจริง สอง"});
  CHECK(search(*phone, "ปลอม").messages_size() == 0);
  CHECK(status_of(*phone).undecryptable() == 3);
}

TEST_CASE("a conversation above the person's lowered clearance is not sent to the new device") {
  ClientWorld w;
  auto laptop = w.enrol_by_code("moi", "alice", Clearance::secret, "alice-laptop");
  auto bob = w.enrol("moi", "bob", Clearance::secret);
  const std::string secret = room(*laptop, *bob, ref("moi", "bob"), idv1::SECRET, "ลับมาก");
  const std::string open = room(*laptop, *bob, ref("moi", "bob"), idv1::UNCLASSIFIED, "ทั่วไป");
  REQUIRE(send_text(*bob, secret, "ลับ ก่อนลดชั้น").has_message());
  REQUIRE(wait_message(*laptop, "ลับ ก่อนลดชั้น"));
  REQUIRE(send_text(*bob, open, "ทั่วไป ก่อนลดชั้น").has_message());
  REQUIRE(wait_message(*laptop, "ทั่วไป ก่อนลดชั้น"));

  // Bob is away: nobody commits the relay's removal of alice from the secret room, so her laptop
  // still holds it, with its history, when she links a phone at her lowered clearance.
  bob.reset();
  set_clearance_by_code(w, "moi", "alice", Clearance::confidential);
  REQUIRE(laptop->wait_event([](const api::Event& e) { return e.has_certificate(); }, kWait));
  ClientWorld::wait_connected(*laptop);
  api::Request list;
  list.mutable_list_conversations();
  auto held = laptop->call(list, kWait);
  REQUIRE(held.has_conversations());
  bool still_held = false;
  for (const auto& c : held.conversations().conversations()) still_held |= c.conversation_id() == secret && !c.left();
  REQUIRE_MESSAGE(still_held, "the laptop no longer holds the secret room: this test would prove nothing");
  CHECK(history(*laptop, secret).messages_size() == 1);

  auto phone = link_phone(w, *laptop, "alice-phone");
  auto arrived = wait_history(*phone, {open});
  REQUIRE_MESSAGE(arrived.count(open), "no history of the open group reached the phone");
  CHECK(arrived.at(open).messages() == 1);
  CHECK(texts(history(*phone, open)) == std::vector<std::string>{"ทั่วไป ก่อนลดชั้น"});
  CHECK_FALSE(phone->wait_event(
      [&](const api::Event& e) { return e.has_history() && e.history().conversation_id() == secret; }, 3s));
  CHECK(search(*phone, "ลับ").messages_size() == 0);
  auto on_phone = phone->call(list, kWait);
  REQUIRE(on_phone.has_conversations());
  for (const auto& c : on_phone.conversations().conversations()) CHECK(c.conversation_id() != secret);
  CHECK(status_of(*phone).undecryptable() == 0);
}

TEST_CASE("a linked device gets the newest history_limit messages, in several batches when they do not fit in one") {
  ClientWorld w;
  auto laptop = w.enrol_by_code("moi", "alice", Clearance::secret, "alice-laptop");
  auto bob = w.enrol("mof", "bob", Clearance::secret);
  const std::string group = room(*laptop, *bob, ref("mof", "bob"), idv1::UNCLASSIFIED, "รายงานประจำวัน");
  const std::string filler(400, 'x');
  for (int i = 0; i < 50; ++i) REQUIRE(send_text(*bob, group, "รายงาน " + std::to_string(i) + " " + filler).has_message());
  REQUIRE(wait_message(*laptop, "รายงาน 49 " + filler));
  wait_placed(*laptop, group, 50);

  // The laptop again, sending at most 40 messages per conversation in batches of 16 KiB.
  laptop.reset();
  auto config = w.config("alice-laptop");
  config.set_history_limit(40);
  config.set_history_batch_bytes(16 * 1024);
  laptop = std::make_unique<client::Client>(config);
  REQUIRE(laptop->call(ClientWorld::open_request(), kWait).has_opened());
  ClientWorld::wait_connected(*laptop);

  auto phone = link_phone(w, *laptop, "alice-phone");
  std::uint32_t batches = 0, messages = 0;
  bool complete = false;
  while (!complete) {
    auto e = phone->wait_event([](const api::Event& ev) { return ev.has_history(); }, kWait);
    REQUIRE_MESSAGE(e, "the history stopped before it was complete");
    CHECK(e->history().conversation_id() == group);
    ++batches;
    messages += e->history().messages();
    complete = e->history().complete();
  }
  CHECK(messages == 40);
  CHECK(batches >= 2);  // 40 posts of ~0.5 KiB do not fit in one 16 KiB batch
  const auto on_phone = history(*phone, group, 100);
  REQUIRE(on_phone.messages_size() == 40);
  for (int i = 0; i < 40; ++i) CHECK(on_phone.messages(i).text() == "รายงาน " + std::to_string(i + 10) + " " + filler);
  CHECK(status_of(*phone).undecryptable() == 0);
}
