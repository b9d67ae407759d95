// Broadcast channels end to end: real clients on the real relay in certificate mode. A channel
// administrator creates a channel; a publisher posts; subscribers in two agencies receive; a
// subscriber cannot post (client and relay refuse); an uncleared person cannot subscribe (client and
// relay refuse); a subscriber whose clearance is lowered is unsubscribed and holds no key for
// later posts; an offline subscriber catches up; an administrator subscribes a whole agency.
#include <doctest/doctest.h>
#include <sodium.h>

#include <thread>

#include "client_world.hpp"
#include "gchat/client/store.hpp"
#include "gchat/identity/channel.hpp"
#include "gchat/identity/mls_identity.hpp"

using namespace gchat;
using namespace gchat::testing;
using identity::Clearance;

namespace {

namespace pb = gchat::relay::v1;

// A channel of `agency` signed by its channel administrator, set through the relay.
std::string make_channel(ClientWorld& w, const std::string& agency, const std::string& title, idv1::Clearance level,
                         std::vector<std::string> allowed, std::vector<idv1::UserRef> publishers) {
  idv1::ChannelDescriptor d;
  Bytes id(identity::kChannelIdSize);
  randombytes_buf(id.data(), id.size());
  d.set_channel_id(std::string(id.begin(), id.end()));
  d.set_agency_id(agency);
  d.set_title(title);
  d.set_level(level);
  for (auto& a : allowed) d.add_allowed_agencies(a);
  for (auto& p : publishers) *d.add_publishers() = p;
  d.set_version(1);
  d.set_admin_id(w.admins.at(agency).body.admin_id());
  d.set_issued_at(static_cast<std::int64_t>(std::time(nullptr)));
  idv1::AdminAct act;
  *act.mutable_set_channel() = identity::make_signed(identity::SignedKind::channel, d, w.admins.at(agency).key);
  auto ok = w.submit(agency, act);
  REQUIRE_MESSAGE(ok.has_admin_act_ok(), ok.DebugString());
  return d.channel_id();
}

api::Response subscribe(client::Client& c, const std::string& channel) {
  api::Request r;
  r.mutable_subscribe()->set_channel_id(channel);
  return c.call(r, kWait);
}

api::Channels list_channels(client::Client& c) {
  api::Request r;
  r.mutable_list_channels();
  auto resp = c.call(r, kWait);
  REQUIRE_MESSAGE(resp.has_channels(), resp.DebugString());
  return resp.channels();
}

// Posts until one is accepted: the publishers' group and the first keys are set up in the
// background right after the publisher subscribes.
void post(client::Client& publisher, const std::string& channel, const std::string& text) {
  auto sent = send_text(publisher, channel, text);
  REQUIRE_MESSAGE(sent.has_message(), sent.DebugString());
}

// A device of `user` speaking the relay protocol directly: what a modified client could send.
std::unique_ptr<net::RelayClient> raw_device(ClientWorld& w, const std::string& agency, const TestUser& user,
                                             idv1::Chain* chain_out = nullptr) {
  return w.raw_device(agency, user, chain_out);
}

pb::ServerFrame raw_subscribe(net::RelayClient& c, const std::string& channel) {
  pb::ClientFrame f;
  f.mutable_subscribe()->set_channel_id(channel);
  return c.request(f);
}

}  // namespace

TEST_CASE("a channel: a publisher posts, subscribers of two agencies read, nobody else posts or subscribes") {
  ClientWorld w;
  auto pub = w.enrol("moi", "spokes", Clearance::confidential, "", {idv1::PUBLISH});
  auto reader = w.enrol("moi", "reader", Clearance::confidential);
  auto other = w.enrol("mof", "other", Clearance::secret);
  auto low = w.enrol("mof", "low", Clearance::unclassified);
  auto outsider = w.enrol("mod", "outsider", Clearance::top_secret);
  const std::string channel =
      make_channel(w, "moi", "ประกาศกระทรวง", idv1::CONFIDENTIAL, {"mof"}, {ref("moi", "spokes")});

  // Discovery: what each person may subscribe to.
  auto seen = list_channels(*reader);
  REQUIRE(seen.channels_size() == 1);
  CHECK(seen.channels(0).title() == "ประกาศกระทรวง");
  CHECK(seen.channels(0).may_subscribe());
  CHECK_FALSE(seen.channels(0).publisher());
  CHECK(list_channels(*pub).channels(0).publisher());
  CHECK(list_channels(*low).channels_size() == 0);       // below the level: not offered
  CHECK(list_channels(*outsider).channels_size() == 0);  // agency not admitted

  // Subscription is refused to the uncleared and the outsider: by their client, and by the relay.
  auto refused = subscribe(*low, channel);
  REQUIRE(refused.has_error());
  CHECK(refused.error().code() == api::NOT_FOUND);  // not open to them: the relay does not even list it
  CHECK(subscribe(*outsider, channel).error().code() == api::NOT_FOUND);
  // A client that skips its own check meets the relay's.
  auto raw_low = raw_device(w, "mof", w.users.at("low"));
  auto r1 = raw_subscribe(*raw_low, channel);
  REQUIRE(r1.has_error());
  CHECK(r1.error().code() == pb::NOT_CLEARED);
  auto raw_outsider = raw_device(w, "mod", w.users.at("outsider"));
  auto r2 = raw_subscribe(*raw_outsider, channel);
  REQUIRE(r2.has_error());
  CHECK(r2.error().code() == pb::NOT_CLEARED);

  REQUIRE_MESSAGE(subscribe(*pub, channel).has_conversation(), "publisher subscribes");
  auto joined = subscribe(*reader, channel);
  REQUIRE_MESSAGE(joined.has_conversation(), joined.DebugString());
  CHECK(joined.conversation().kind() == idv1::CHANNEL);
  CHECK_FALSE(joined.conversation().can_post());
  REQUIRE(subscribe(*other, channel).has_conversation());

  post(*pub, channel, "ประกาศฉบับที่ 1: ประชุมวันจันทร์");
  auto got = wait_message(*reader, "ประกาศฉบับที่ 1: ประชุมวันจันทร์");
  REQUIRE_MESSAGE(got, "the reader in moi did not get the post");
  CHECK(got->sender().person().user_id() == "spokes");
  CHECK(got->sender().person().agency_id() == "moi");
  CHECK(got->sender().person().clearance() == idv1::CONFIDENTIAL);
  REQUIRE_MESSAGE(wait_message(*other, "ประกาศฉบับที่ 1: ประชุมวันจันทร์"), "the reader in mof did not get the post");

  // A subscriber cannot post: the client refuses...
  auto tried = send_text(*reader, channel, "ตอบกลับ");
  REQUIRE(tried.has_error());
  CHECK(tried.error().code() == api::NOT_PERMITTED);
  // ... and so does the relay, whatever a modified client sends.
  auto raw_reader = raw_device(w, "moi", w.users.at("reader"));
  REQUIRE(raw_subscribe(*raw_reader, channel).has_subscribe_ok());
  for (auto kind : {pb::CHANNEL_POST, pb::APPLICATION}) {
    pb::ClientFrame f;
    f.mutable_send()->set_group_id(channel);
    f.mutable_send()->set_kind(kind);
    pb::ChannelCiphertext fake;
    fake.set_generation(1);
    fake.set_nonce(std::string(12, 'n'));
    fake.set_ciphertext("forged announcement");
    f.mutable_send()->set_payload(fake.SerializeAsString());
    auto r = raw_reader->request(f);
    REQUIRE(r.has_error());
    CHECK(r.error().code() == (kind == pb::CHANNEL_POST ? pb::NOT_A_PUBLISHER : pb::INVALID_ARGUMENT));
  }
  CHECK_FALSE(wait_message(*other, "forged announcement", std::chrono::seconds(1)));

  // Search and history work in a channel as in any conversation.
  api::Request search;
  search.mutable_search()->set_query("ประชุม");
  auto found = reader->call(search, kWait);
  REQUIRE_MESSAGE(found.has_messages(), found.DebugString());
  CHECK(found.messages().messages_size() == 1);

  // The relay counts what it accepted: one post (the forged ones were refused), keys for devices.
  const std::string metrics = http_get(w.relay.port(), "/metrics", w.relay.ca_file());
  CHECK_MESSAGE(metrics.find("\ngchat_channel_posts_total 1\n") != std::string::npos, metrics);
  CHECK(metrics.find("\ngchat_channel_keys_stored_total 0\n") == std::string::npos);
}

TEST_CASE("a channel: removed subscribers read nothing after; an offline subscriber catches up; an agency subscribed at once") {
  ClientWorld w;
  auto pub = w.enrol("moi", "spokes", Clearance::secret, "", {idv1::PUBLISH});
  auto stays = w.enrol("moi", "stays", Clearance::secret);
  auto lowered = w.enrol("mof", "lowered", Clearance::secret);
  const std::string channel = make_channel(w, "moi", "ข่าวลับมาก", idv1::SECRET, {}, {ref("moi", "spokes")});
  REQUIRE(subscribe(*pub, channel).has_conversation());
  REQUIRE(subscribe(*stays, channel).has_conversation());
  REQUIRE(subscribe(*lowered, channel).has_conversation());
  post(*pub, channel, "ก่อนลดชั้น");
  REQUIRE(wait_message(*stays, "ก่อนลดชั้น"));
  REQUIRE(wait_message(*lowered, "ก่อนลดชั้น"));

  // The stays subscriber goes offline; the mof officer lowers "lowered" below the channel's level.
  const std::string stays_dir = w.config("stays-laptop").data_dir();
  stays.reset();
  w.set_clearance("mof", "lowered", Clearance::confidential);

  // The publisher's next post needs a new key (the relay refuses the old one once someone left);
  // the publisher's client renews it by itself and the post goes out under the new generation.
  auto after = send_text(*pub, channel, "หลังลดชั้น");
  REQUIRE_MESSAGE(after.has_message(), after.DebugString());
  auto own = pub->wait_event(
      [&](const api::Event& e) {
        return e.has_status() && e.status().message_id() == after.message().message_id() &&
               e.status().status() == api::DELIVERED;
      },
      std::chrono::seconds(30));
  REQUIRE_MESSAGE(own, "the post after the removal was not delivered");

  // The offline subscriber comes back and reads both posts, in order.
  stays = w.start("stays-laptop");
  ClientWorld::wait_connected(*stays);
  REQUIRE_MESSAGE(wait_message(*stays, "หลังลดชั้น", std::chrono::seconds(30)), "the offline subscriber did not catch up");
  api::Request history;
  history.mutable_history()->set_conversation_id(channel);
  auto h = stays->call(history, kWait);
  REQUIRE(h.has_messages());
  REQUIRE(h.messages().messages_size() == 2);
  CHECK(h.messages().messages(0).text() == "ก่อนลดชั้น");
  CHECK(h.messages().messages(1).text() == "หลังลดชั้น");

  // The removed subscriber was told, got nothing, and its store holds no key of the new generation.
  auto told = lowered->wait_event(
      [&](const api::Event& e) { return e.has_membership() && e.membership().self_removed() &&
                                        e.membership().conversation_id() == channel; },
      kWait);
  CHECK_MESSAGE(told, "the removed subscriber was not told");
  CHECK_FALSE(wait_message(*lowered, "หลังลดชั้น", std::chrono::seconds(2)));
  const std::string lowered_dir = w.config("lowered-laptop").data_dir();
  lowered.reset();
  auto store = client::Store::open_with_passphrase(lowered_dir, "รหัสผ่านทดสอบ test passphrase",
                                                   client::KdfStrength::interactive);
  REQUIRE(store.ok());
  int keys = 0;
  for (std::uint64_t g = 0; g < 16; ++g) {
    auto k = (*store)->get("chkey:" + to_hex(as_bytes(channel)) + ":" + std::to_string(g));
    REQUIRE(k.ok());
    if (*k) ++keys;
  }
  CHECK(keys == 1);  // the generation it was subscribed under, and no later one

  // An administrator subscribes every cleared person of an agency at once.
  auto later = w.enrol("moi", "later", Clearance::secret);
  auto uncleared = w.enrol("moi", "uncleared", Clearance::confidential);
  idv1::AdminAct all;
  all.mutable_subscribe_agency()->set_channel_id(channel);
  all.mutable_subscribe_agency()->set_agency_id("moi");
  auto subscribed = w.submit("moi", all);
  REQUIRE_MESSAGE(subscribed.has_admin_act_ok(), subscribed.DebugString());
  CHECK(subscribed.admin_act_ok().subscribed() == 3);  // spokes, stays, later; not "uncleared"
  auto mine = list_channels(*later);
  REQUIRE(mine.channels_size() == 1);
  CHECK(mine.channels(0).subscribed());
  CHECK(list_channels(*uncleared).channels_size() == 0);

  // The agency's subscription stands: a person enrolled afterwards, cleared for the channel, finds it
  // on their first connection and reads what follows; one who unsubscribed stays out.
  api::Request leave;
  leave.mutable_unsubscribe()->set_channel_id(channel);
  REQUIRE(later->call(leave, kWait).has_done());
  auto newcomer = w.enrol("moi", "newcomer", Clearance::top_secret);
  auto appeared = newcomer->wait_event(
      [&](const api::Event& e) { return e.has_conversation() && e.conversation().conversation_id() == channel; }, kWait);
  REQUIRE_MESSAGE(appeared, "a person enrolled after the agency's subscription did not get the channel");
  post(*pub, channel, "ถึงทุกคนในกระทรวง");
  CHECK_MESSAGE(wait_message(*newcomer, "ถึงทุกคนในกระทรวง", std::chrono::seconds(30)), "the newcomer did not read the post");
  later.reset();
  later = w.start("later-laptop");
  ClientWorld::wait_connected(*later);
  CHECK_FALSE(list_channels(*later).channels(0).subscribed());
}

TEST_CASE("the relay refuses channel requests that break the rules, with stable codes") {
  ClientWorld w;
  const std::string channel = make_channel(w, "moi", "ประกาศ", idv1::CONFIDENTIAL, {"mof"}, {ref("moi", "spokes")});
  auto submit_as = [&](const TestAdmin& admin, idv1::AdminAct act) { return w.submit(admin, std::move(act)); };
  auto descriptor = [&](const TestAdmin& admin, std::uint64_t version, idv1::Clearance level, std::vector<std::string> allowed) {
    idv1::ChannelDescriptor d;
    d.set_channel_id(channel);
    d.set_agency_id(admin.body.agency_id());
    d.set_title("ประกาศ");
    d.set_level(level);
    for (auto& a : allowed) d.add_allowed_agencies(a);
    d.set_version(version);
    d.set_admin_id(admin.body.admin_id());
    idv1::AdminAct act;
    *act.mutable_set_channel() = identity::make_signed(identity::SignedKind::channel, d, admin.key);
    return act;
  };
  auto code_of = [](const pb::ServerFrame& f) { return f.has_error() ? f.error().code() : pb::ERROR_CODE_UNSPECIFIED; };
  const auto& moi_admin = w.admins.at("moi");
  CHECK(code_of(submit_as(moi_admin, descriptor(moi_admin, 1, idv1::CONFIDENTIAL, {"mof"}))) == pb::REPLAYED);
  CHECK(code_of(submit_as(moi_admin, descriptor(moi_admin, 2, idv1::SECRET, {"mof"}))) == pb::INVALID_ARGUMENT);
  CHECK(code_of(submit_as(moi_admin, descriptor(moi_admin, 2, idv1::CONFIDENTIAL, {"mod"}))) == pb::INVALID_ARGUMENT);
  auto widened = submit_as(moi_admin, descriptor(moi_admin, 2, idv1::CONFIDENTIAL, {"mof", "mod"}));
  CHECK_MESSAGE(widened.has_admin_act_ok(), widened.DebugString());
  CHECK(code_of(submit_as(w.admins.at("mof"), descriptor(w.admins.at("mof"), 3, idv1::CONFIDENTIAL, {}))) == pb::FORBIDDEN);
  auto users_only = w.pki.admin(w.agencies.at("moi"), "users-only", {idv1::USER_ADMIN});
  CHECK(code_of(submit_as(users_only, descriptor(users_only, 4, idv1::CONFIDENTIAL, {"mof", "mod"}))) == pb::FORBIDDEN);
  idv1::AdminAct foreign;
  foreign.mutable_subscribe_agency()->set_channel_id(channel);
  foreign.mutable_subscribe_agency()->set_agency_id("mof");
  CHECK(code_of(submit_as(moi_admin, foreign)) == pb::FORBIDDEN);

  // A subscriber's device asking for what only publishers may do, or for what is not theirs.
  auto reader = raw_device(w, "moi", w.person("moi", "reader", Clearance::secret));
  CHECK(code_of(raw_subscribe(*reader, "short")) == pb::INVALID_ARGUMENT);
  CHECK(code_of(raw_subscribe(*reader, std::string(16, 'x'))) == pb::GROUP_NOT_FOUND);
  pb::ClientFrame key;
  key.mutable_fetch_channel_key()->set_channel_id(channel);
  key.mutable_fetch_channel_key()->set_generation(1);
  CHECK(code_of(reader->request(key)) == pb::NOT_A_MEMBER);  // not subscribed
  REQUIRE(raw_subscribe(*reader, channel).has_subscribe_ok());
  CHECK(code_of(reader->request(key)) == pb::NO_CHANNEL_KEY);
  pb::ClientFrame work;
  work.mutable_fetch_channel_work()->set_channel_id(channel);
  CHECK(code_of(reader->request(work)) == pb::NOT_A_PUBLISHER);
  work.mutable_fetch_channel_work()->set_limit(5000);
  CHECK(code_of(reader->request(work)) == pb::INVALID_ARGUMENT);
  pb::ClientFrame put;
  put.mutable_put_channel_keys()->set_channel_id(channel);
  auto* k = put.mutable_put_channel_keys()->add_keys();
  k->set_device_key(std::string(32, 'd'));
  k->set_kem_output(std::string(32, 'k'));
  k->set_ciphertext(std::string(48, 'c'));
  CHECK(code_of(reader->request(put)) == pb::NOT_A_PUBLISHER);
  k->set_device_key("short");
  CHECK(code_of(reader->request(put)) == pb::INVALID_ARGUMENT);
  // Someone else with the right to publish cannot take the channel's publishers' group (nor make a
  // CHANNEL policy for any other group): whoever holds that group holds the channel's key.
  idv1::Chain rogue_chain;
  auto rogue = raw_device(w, "moi", w.person("moi", "rogue", Clearance::secret, {idv1::PUBLISH}), &rogue_chain);
  auto rogue_key = identity::SigningKey::from_seed(BytesView(rogue->key().secret_key).first(32));
  REQUIRE(rogue_key.ok());
  auto rogue_id = identity::mls_identity(rogue_chain, *rogue_key);
  REQUIRE(rogue_id.ok());
  idv1::GroupPolicy grab;
  grab.set_kind(idv1::CHANNEL);
  grab.set_level(idv1::CONFIDENTIAL);
  *grab.add_publishers() = ref("moi", "rogue");
  *grab.add_admins() = ref("moi", "rogue");
  const auto& suite = **crypto::CipherSuite::from_id(crypto::kDefaultSuite);
  auto verifier = std::make_shared<identity::MemberVerifier>(w.pki.root.public_key(), Bytes{});
  for (const Bytes& gid : {identity::publishers_group_id(as_bytes(channel)), Bytes(16, 'g')}) {
    auto group = mls::Group::create(suite, gid, *rogue_id, verifier->rules(), identity::group_extensions(grab));
    REQUIRE(group.ok());
    auto info = group->group_info();
    REQUIRE(info.ok());
    pb::ClientFrame create;
    create.mutable_create_group()->set_group_id(std::string(gid.begin(), gid.end()));
    const Bytes encoded = codec::encode(*info);
    create.mutable_create_group()->set_group_info(std::string(encoded.begin(), encoded.end()));
    CHECK(code_of(rogue->request(create)) == pb::POLICY_REJECTED);
  }

  // A key registration signed by someone else than the device.
  idv1::ChannelKeyRegistration reg;
  reg.set_device_key(std::string(reader->key().public_key.begin(), reader->key().public_key.end()));
  reg.set_hpke_key(std::string(32, 'h'));
  pb::ClientFrame bad_reg;
  *bad_reg.mutable_register_channel_key()->mutable_registration() =
      identity::make_signed(identity::SignedKind::channel_key_registration, reg, identity::SigningKey::generate());
  CHECK(code_of(reader->request(bad_reg)) == pb::INVALID_ARGUMENT);
}

TEST_CASE("a channel follows its subscriber to a second device; unsubscribing stops the posts") {
  ClientWorld w;
  auto pub = w.enrol("moi", "spokes", Clearance::unclassified, "", {idv1::PUBLISH});
  auto reader = w.enrol("mof", "reader", Clearance::unclassified);
  const std::string channel = make_channel(w, "moi", "ข่าวประชาสัมพันธ์", idv1::UNCLASSIFIED, {}, {ref("moi", "spokes")});
  REQUIRE(subscribe(*pub, channel).has_conversation());
  REQUIRE(subscribe(*reader, channel).has_conversation());
  post(*pub, channel, "ข่าวที่หนึ่ง");
  REQUIRE(wait_message(*reader, "ข่าวที่หนึ่ง"));

  // The reader's phone, linked later: it joins the stream with its own channel key and learns of
  // the channel from the relay.
  auto phone = w.start("reader-phone");
  auto linked = w.link(*phone, w.users.at("reader"), "mof", "reader-phone");
  REQUIRE_MESSAGE(linked.has_enrolled(), linked.DebugString());
  ClientWorld::wait_connected(*phone);
  auto appeared = phone->wait_event(
      [&](const api::Event& e) { return e.has_conversation() && e.conversation().conversation_id() == channel; }, kWait);
  REQUIRE_MESSAGE(appeared, "the channel did not appear on the second device");
  CHECK(appeared->conversation().kind() == idv1::CHANNEL);
  post(*pub, channel, "ข่าวที่สอง");
  REQUIRE_MESSAGE(wait_message(*phone, "ข่าวที่สอง", std::chrono::seconds(30)), "the second device did not read the post");
  REQUIRE(wait_message(*reader, "ข่าวที่สอง"));

  // Leaving a channel is unsubscribing (every device of the person).
  api::Request leave;
  leave.mutable_leave()->set_conversation_id(channel);
  auto left = reader->call(leave, kWait);
  REQUIRE_MESSAGE(left.has_done(), left.DebugString());
  post(*pub, channel, "ข่าวที่สาม");
  auto own = pub->wait_event([](const api::Event& e) { return e.has_message() || e.has_status(); }, kWait);
  (void)own;
  CHECK_FALSE(wait_message(*reader, "ข่าวที่สาม", std::chrono::seconds(3)));
  CHECK_FALSE(wait_message(*phone, "ข่าวที่สาม", std::chrono::seconds(1)));
  CHECK(list_channels(*reader).channels(0).subscribed() == false);
  auto again = send_text(*reader, channel, "x");
  REQUIRE(again.has_error());
  CHECK(again.error().code() == api::NOT_FOUND);
}

TEST_CASE("a channel administrator changes the publishers: the new one posts, the removed one cannot") {
  ClientWorld w;
  auto first = w.enrol("moi", "first", Clearance::confidential, "", {idv1::PUBLISH});
  auto second = w.enrol("moi", "second", Clearance::confidential, "", {idv1::PUBLISH});
  auto reader = w.enrol("mof", "reader", Clearance::confidential);
  const std::string channel = make_channel(w, "moi", "ประกาศ", idv1::CONFIDENTIAL, {}, {ref("moi", "first")});
  REQUIRE(subscribe(*first, channel).has_conversation());
  REQUIRE(subscribe(*reader, channel).has_conversation());
  post(*first, channel, "จากผู้ประกาศคนแรก");
  REQUIRE(wait_message(*reader, "จากผู้ประกาศคนแรก"));

  auto change = [&](std::uint64_t version, std::vector<idv1::UserRef> publishers) {
    idv1::ChannelDescriptor d;
    d.set_channel_id(channel);
    d.set_agency_id("moi");
    d.set_title("ประกาศ");
    d.set_level(idv1::CONFIDENTIAL);
    for (auto& p : publishers) *d.add_publishers() = p;
    d.set_version(version);
    d.set_admin_id(w.admins.at("moi").body.admin_id());
    idv1::AdminAct act;
    *act.mutable_set_channel() = identity::make_signed(identity::SignedKind::channel, d, w.admins.at("moi").key);
    auto ok = w.submit("moi", act);
    REQUIRE_MESSAGE(ok.has_admin_act_ok(), ok.DebugString());
  };

  // "second" is named: the first publisher's client adds their device to the publishers' group, and
  // that device subscribes on its own.
  change(2, {ref("moi", "first"), ref("moi", "second")});
  auto appeared = second->wait_event(
      [&](const api::Event& e) { return e.has_conversation() && e.conversation().conversation_id() == channel; },
      std::chrono::seconds(30));
  REQUIRE_MESSAGE(appeared, "the new publisher's device did not get the channel");
  bool posted = false;
  for (int i = 0; i < 50 && !posted; ++i) {
    posted = send_text(*second, channel, "จากผู้ประกาศคนที่สอง").has_message();
    if (!posted) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  REQUIRE_MESSAGE(posted, "the new publisher could not post");
  auto got = wait_message(*reader, "จากผู้ประกาศคนที่สอง", std::chrono::seconds(30));
  REQUIRE_MESSAGE(got, "the reader did not get the new publisher's post");
  CHECK(got->sender().person().user_id() == "second");

  // "first" is no longer named: its client stops offering to post, and the relay refuses it.
  change(3, {ref("moi", "second")});
  auto updated = first->wait_event(
      [&](const api::Event& e) {
        return e.has_conversation() && e.conversation().conversation_id() == channel && !e.conversation().can_post();
      },
      std::chrono::seconds(30));
  REQUIRE_MESSAGE(updated, "the removed publisher's client was not updated");
  auto refused = send_text(*first, channel, "ไม่ควรออก");
  REQUIRE(refused.has_error());
  CHECK(refused.error().code() == api::NOT_PERMITTED);
  post(*second, channel, "หลังเปลี่ยนผู้ประกาศ");
  REQUIRE(wait_message(*reader, "หลังเปลี่ยนผู้ประกาศ", std::chrono::seconds(30)));
}
