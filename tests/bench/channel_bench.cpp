// gchat-channel-bench: the publisher's side of a broadcast channel with N subscriber devices, on
// one core, with the code the client core runs (identity::MemberVerifier, the channel key from a
// real publishers' MLS group, MLS EncryptWithLabel wraps). Prints:
//   - publish: one post (one signature, one AEAD encryption) and its size, whatever N;
//   - subscribe: the publisher's cost for one new subscriber (verify its chain and key registration,
//     wrap the key) and the bytes that subscriber downloads for it;
//   - removal: the rekey after a subscriber leaves (an empty commit in the publishers' group, a new
//     key, a wrap for each of the N-1 others), cold (every subscriber verified) and warm (chains
//     cached from earlier work, as on the publisher that admitted them).
// With --relay: the relay's side, on a real gchat-relay process (loopback, TLS, certificate mode)
// whose database holds N subscriber devices in the channel's stream (written straight into its
// SQLite store before it starts: simulated devices, each with an identity and a key registration);
// K of them connect for real. Prints the time to store one wrapped key per device (PutChannelKeys
// in frames of 2,000), to page through the waiting subscribers (FetchChannelWork), and to publish
// one post: accepted (durable) and delivered to every one of the K online devices; the N-K offline
// devices cost one cursor each, read when they come back (one is timed).
// A benchmark, not a test.
//
//   gchat-channel-bench [--subscribers N] [--relay] [--online K]
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "gchat/client/v1/client.pb.h"
#include "gchat/crypto/hpke.hpp"
#include "gchat/identity/channel.hpp"
#include "gchat/identity/channel_keys.hpp"
#include "gchat/identity/mls_identity.hpp"
#include "gchat/relay/v1/relay.pb.h"
#include "gchat/net/relay_client.hpp"
#include "gchat/server/store.hpp"
#include "relay_process.hpp"
#include "test_pki.hpp"

using namespace gchat;
using namespace gchat::testing;
namespace idv1 = gchat::identity::v1;
namespace pb = gchat::relay::v1;
using Clock = std::chrono::steady_clock;

namespace {

[[noreturn]] void die(const std::string& what) {
  std::cerr << "gchat-channel-bench: " << what << "\n";
  std::exit(1);
}

template <typename T>
T must(Result<T> r, const char* what = "") {
  if (!r.ok()) die(std::string(what) + (*what ? ": " : "") + r.error().to_string());
  return std::move(*r);
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// An agency with a channel administrator and one publisher with a device.
struct Publisher {
  TestPki pki;
  TestAgency agency = pki.agency("moi");
  TestAdmin admin = pki.admin(agency, "admin");
  TestUser spokes = pki.user(admin, "spokes", identity::Clearance::confidential, {idv1::PUBLISH});
  TestDevice device = pki.device(admin, spokes);

  // The channel's policy for its publishers' group: one publisher.
  static idv1::GroupPolicy policy() {
    idv1::GroupPolicy p;
    p.set_kind(idv1::CHANNEL);
    p.set_level(idv1::CONFIDENTIAL);
    p.add_allowed_agencies("moi");
    auto* r = p.add_publishers();
    r->set_agency_id("moi");
    r->set_user_id("spokes");
    return p;
  }
  mls::Group publishers_group(const crypto::CipherSuite& suite, BytesView channel_id,
                              const std::shared_ptr<identity::MemberVerifier>& verifier) const {
    auto id = must(identity::mls_identity(device.chain, device.key));
    return must(mls::Group::create(suite, identity::publishers_group_id(channel_id), id, verifier->rules(),
                                   identity::group_extensions(policy())));
  }
};

struct Subscriber {
  std::string device_key;
  std::string chain;
  idv1::Signed registration;
  SecretBytes hpke_private;
};

void must_ok(const Status& s, const char* what) {
  if (!s.ok()) die(std::string(what) + ": " + s.error().to_string());
}

std::string str(BytesView b) { return std::string(b.begin(), b.end()); }

pb::ServerFrame must_reply(net::RelayClient& c, pb::ClientFrame f, const char* what) {
  auto r = c.request(std::move(f), std::chrono::seconds(120));
  if (r.has_error()) die(std::string(what) + ": " + r.error().message());
  return r;
}

int relay_part(std::size_t n, std::size_t online) {
  const auto* suite = must(crypto::CipherSuite::from_id(crypto::kDefaultSuite));
  Publisher world;
  auto& pki = world.pki;
  const auto& admin = world.admin;
  const auto& spokes = world.spokes;
  const auto& spokes_device = world.device;
  auto reader = pki.user(admin, "reader", identity::Clearance::secret);
  online = std::min(online, n);

  Bytes channel_id(identity::kChannelIdSize);
  randombytes_buf(channel_id.data(), channel_id.size());
  idv1::ChannelDescriptor desc;
  desc.set_channel_id(str(channel_id));
  desc.set_agency_id("moi");
  desc.set_title("ประกาศ");
  desc.set_level(idv1::CONFIDENTIAL);
  *desc.add_publishers() = [] {
    idv1::UserRef r;
    r.set_agency_id("moi");
    r.set_user_id("spokes");
    return r;
  }();
  desc.set_version(1);
  desc.set_admin_id("admin");

  RelayProcess relay{RelayOptions{true, "closed", {"--root-key", to_hex(pki.root.public_key()), "--rate-limit-per-sec",
                                                   "1000000", "--rate-limit-burst", "1000000", "--max-connections",
                                                   "100000"}}};
  relay.stop();
  std::cout << "relay: " << n << " subscriber devices in the stream, " << online << " online\n";
  // The online devices are real (keys and chains); the others exist in the relay's database only.
  std::vector<net::DeviceKey> keys(online);
  std::vector<std::string> chains(online);
  auto t = Clock::now();
  {
    auto store = must(server::open_sqlite_store(relay.db_file()), "open the relay's store");
    must_ok(store->begin(), "begin");
    auto publisher = must(store->register_device(spokes_device.key.public_key(), 0), "publisher");
    must_ok(store->set_device_identity(publisher.ref, {"moi", "spokes", 1, spokes.body.serial(), {}, {}, {}}, 0), "identity");
    server::ChannelRecord record;
    record.channel_id = channel_id;
    record.agency_id = "moi";
    record.level = 1;
    record.version = 1;
    record.descriptor = Bytes(0);
    const std::string signed_desc = identity::make_signed(identity::SignedKind::channel, desc, admin.key).SerializeAsString();
    record.descriptor = Bytes(signed_desc.begin(), signed_desc.end());
    const std::string admin_chain = admin.chain.SerializeAsString();
    record.admin_chain = Bytes(admin_chain.begin(), admin_chain.end());
    auto channel = must(store->put_channel(record), "channel");
    auto stream = must(store->create_group(channel_id, publisher.ref, 0), "stream");
    must_ok(store->set_channel_stream(channel, stream.ref), "stream");
    must_ok(store->add_member(stream.ref, publisher.ref), "publisher in the stream");
    const std::string sample_chain = spokes_device.chain.SerializeAsString();
    idv1::ChannelKeyRegistration reg;
    for (std::size_t i = 0; i < n; ++i) {
      Bytes key(32);
      std::string chain = sample_chain;
      if (i < online) {
        keys[i] = net::DeviceKey::generate();
        key = keys[i].public_key;
        chains[i] = pki.chain_for(admin, reader, str(key), "d").SerializeAsString();
        chain = chains[i];
      } else {
        randombytes_buf(key.data(), key.size());
      }
      auto d = must(store->register_device(key, 0), "device");
      must_ok(store->set_device_identity(d.ref, {"moi", i < online ? "reader" : "s" + std::to_string(i), 2, 1, {}, {}, {}}, 0),
              "identity");
      (void)must(store->add_subscription(channel, "moi", "s" + std::to_string(i), 0), "subscription");
      must_ok(store->add_member(stream.ref, d.ref), "member");
      reg.set_device_key(str(key));
      reg.set_hpke_key(std::string(32, 'h'));
      idv1::Signed signed_reg;
      signed_reg.set_body(reg.SerializeAsString());
      signed_reg.set_signature(std::string(64, 's'));
      const std::string r = signed_reg.SerializeAsString();
      must_ok(store->set_channel_device_key(d.ref, as_bytes(r), as_bytes(chain)), "registration");
    }
    must_ok(store->commit(), "commit");
  }
  std::printf("  setup (not measured): %.1f s\n", seconds_since(t));
  relay.restart();

  // The publisher and its publishers' group.
  auto pub = net::RelayClient::connect(relay.port(), relay.ca_file());
  {
    Bytes sk(64);
    Bytes pk(32);
    crypto_sign_seed_keypair(pk.data(), sk.data(), spokes_device.key.seed().data());
    pub->set_key(net::DeviceKey{pk, sk});
  }
  const std::string pub_chain = spokes_device.chain.SerializeAsString();
  pub->set_chain(Bytes(pub_chain.begin(), pub_chain.end()));
  if (!pub->authenticate().has_auth_ok()) die("the publisher could not authenticate");
  auto verifier = std::make_shared<identity::MemberVerifier>(pki.root.public_key(), Bytes{});
  auto group = world.publishers_group(*suite, channel_id, verifier);
  pb::ClientFrame create;
  create.mutable_create_group()->set_group_id(str(identity::publishers_group_id(channel_id)));
  create.mutable_create_group()->set_group_info(str(codec::encode(must(group.group_info()))));
  (void)must_reply(*pub, create, "create the publishers' group");

  // The relay's part of a (re)key: page through the waiting devices, store a wrap for each.
  t = Clock::now();
  std::size_t listed = 0;
  std::vector<std::string> waiting;
  std::uint64_t after = 0;
  do {
    pb::ClientFrame f;
    f.mutable_fetch_channel_work()->set_channel_id(str(channel_id));
    f.mutable_fetch_channel_work()->set_after(after);
    f.mutable_fetch_channel_work()->set_limit(2000);
    auto r = must_reply(*pub, f, "work");
    for (const auto& s : r.channel_work().subscribers()) waiting.push_back(s.device_key());
    listed += static_cast<std::size_t>(r.channel_work().subscribers_size());
    after = r.channel_work().next();
  } while (after != 0);
  std::printf("  list the %zu waiting devices (FetchChannelWork, pages of 2,000): %.2f s\n", listed, seconds_since(t));
  t = Clock::now();
  for (std::size_t i = 0; i < waiting.size(); i += 2000) {
    pb::ClientFrame f;
    f.mutable_put_channel_keys()->set_channel_id(str(channel_id));
    f.mutable_put_channel_keys()->set_generation(0);
    for (std::size_t j = i; j < std::min(waiting.size(), i + 2000); ++j) {
      auto* k = f.mutable_put_channel_keys()->add_keys();
      k->set_device_key(waiting[j]);
      k->set_kem_output(std::string(32, 'k'));
      k->set_ciphertext(std::string(48, 'c'));
    }
    (void)must_reply(*pub, f, "put keys");
  }
  std::printf("  store %zu wrapped keys (PutChannelKeys, frames of 2,000; pushed to the online devices): %.2f s\n",
              waiting.size(), seconds_since(t));

  // The online subscribers.
  t = Clock::now();
  std::vector<std::unique_ptr<net::RelayClient>> subs;
  for (std::size_t i = 0; i < online; ++i) {
    auto c = net::RelayClient::connect(relay.port(), relay.ca_file(), std::chrono::seconds(30));
    c->set_key(keys[i]);
    c->set_chain(Bytes(chains[i].begin(), chains[i].end()));
    if (!c->authenticate(std::chrono::seconds(30)).has_auth_ok()) die("a subscriber could not authenticate");
    subs.push_back(std::move(c));
  }
  std::printf("  connect and authenticate %zu subscriber devices (not measured): %.1f s\n", online, seconds_since(t));
  for (auto& c : subs) c->pump(std::chrono::milliseconds(1));  // the pushed keys

  // One post.
  auto key = must(identity::channel_key(group, channel_id));
  auto sealed = must(identity::seal_channel_post(*suite, key, channel_id, 0, as_bytes(std::string(900, 'p'))));
  pb::ChannelCiphertext ct;
  ct.set_generation(0);
  ct.set_nonce(str(sealed.nonce));
  ct.set_ciphertext(str(sealed.ciphertext));
  pb::ClientFrame post;
  post.mutable_send()->set_group_id(str(channel_id));
  post.mutable_send()->set_kind(pb::CHANNEL_POST);
  post.mutable_send()->set_payload(ct.SerializeAsString());
  t = Clock::now();
  (void)must_reply(*pub, post, "post");
  const double durable = seconds_since(t);
  std::size_t got = 0;
  for (auto& c : subs) got += c->take_deliveries(1, std::chrono::seconds(60)).size();
  const double delivered = seconds_since(t);
  if (got != subs.size()) die("not every online device got the post");
  std::printf("  publish one post: durable after %.1f ms; delivered to all %zu online devices after %.1f ms\n",
              durable * 1e3, subs.size(), delivered * 1e3);

  // An offline device comes back: its cursor gives it the post.
  if (online < n) {
    // (a simulated device has no private key; the first online one reconnects instead)
    subs.front().reset();
    t = Clock::now();
    auto c = net::RelayClient::connect(relay.port(), relay.ca_file());
    c->set_key(keys[0]);
    c->set_chain(Bytes(chains[0].begin(), chains[0].end()));
    if (!c->authenticate().has_auth_ok()) die("reconnect");
    pb::ClientFrame fetch;
    fetch.mutable_fetch()->set_group_id(str(channel_id));
    auto r = must_reply(*c, fetch, "fetch");
    std::printf("  a device coming back reads the post from its cursor: %.1f ms (%d message)\n",
                seconds_since(t) * 1e3, r.fetch_result().messages_size());
  }
  std::printf("  relay resident memory: %.0f MB\n", static_cast<double>(relay.resident_bytes()) / 1e6);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 100'000;
  std::size_t online = 1000;
  bool relay = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--subscribers") == 0 && i + 1 < argc) {
      n = std::stoul(argv[++i]);
    } else if (std::strcmp(argv[i], "--online") == 0 && i + 1 < argc) {
      online = std::stoul(argv[++i]);
    } else if (std::strcmp(argv[i], "--relay") == 0) {
      relay = true;
    } else {
      die("usage: gchat-channel-bench [--subscribers N] [--relay] [--online K]");
    }
  }
  if (relay) return relay_part(n, online);
  const auto* suite = must(crypto::CipherSuite::from_id(crypto::kDefaultSuite));
  Publisher world;
  auto& pki = world.pki;
  const auto& admin = world.admin;
  const auto& spokes_device = world.device;

  // The publishers' group (one publisher device) and the channel.
  Bytes channel_id(identity::kChannelIdSize, 7);
  auto verifier = std::make_shared<identity::MemberVerifier>(pki.root.public_key(), Bytes{});
  auto group = world.publishers_group(*suite, channel_id, verifier);

  std::cout << "subscribers (devices): " << n << "\n";
  // N subscriber devices of 1,000 people each in one agency's worth of chains (what the relay hands
  // the publisher: chain and signed key registration per device).
  auto t0 = Clock::now();
  std::vector<TestUser> people;
  for (int p = 0; p < 1000; ++p) people.push_back(pki.user(admin, "u" + std::to_string(p), identity::Clearance::secret));
  std::vector<Subscriber> subs(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto device = identity::SigningKey::generate();
    const auto& person = people[i % people.size()];
    auto& s = subs[i];
    s.device_key.assign(device.public_key().begin(), device.public_key().end());
    s.chain = pki.chain_for(admin, person, s.device_key, "d").SerializeAsString();
    auto kp = suite->hpke().generate_key_pair();
    idv1::ChannelKeyRegistration reg;
    reg.set_device_key(s.device_key);
    reg.set_hpke_key(std::string(kp.public_key.begin(), kp.public_key.end()));
    s.registration = identity::make_signed(identity::SignedKind::channel_key_registration, reg, device);
    s.hpke_private = std::move(kp.private_key);
  }
  std::printf("setup (not measured): %.1f s\n", seconds_since(t0));

  idv1::ChannelDescriptor desc;
  desc.set_channel_id(std::string(channel_id.begin(), channel_id.end()));
  desc.set_agency_id("moi");
  desc.set_level(idv1::CONFIDENTIAL);

  // One subscriber's admission as the publisher's client does it.
  std::size_t wrapped_bytes = 0;
  auto admit = [&](const Subscriber& s, const SecretBytes& key, std::uint64_t generation, bool verify) {
    if (verify) {
      auto who = must(verifier->verify(identity::gchat_credential(as_bytes(s.chain)), as_bytes(s.device_key)));
      if (!identity::may_subscribe(who.user.agency.agency_id, who.user.clearance, desc).ok()) die("not admissible");
      if (!identity::verify_signature(identity::SignedKind::channel_key_registration, as_bytes(s.registration.body()),
                                      as_bytes(s.registration.signature()), as_bytes(s.device_key))
               .ok()) {
        die("bad registration");
      }
    }
    idv1::ChannelKeyRegistration reg;
    reg.ParseFromString(s.registration.body());
    auto w = must(identity::wrap_channel_key(*suite, as_bytes(reg.hpke_key()), channel_id, generation,
                                             as_bytes(s.device_key), key));
    pb::WrappedChannelKey k;
    k.set_device_key(s.device_key);
    k.set_kem_output(std::string(w.kem_output.begin(), w.kem_output.end()));
    k.set_ciphertext(std::string(w.ciphertext.begin(), w.ciphertext.end()));
    wrapped_bytes += k.ByteSizeLong();
    return k;
  };

  // Publish: one post, whatever N.
  auto key = must(identity::channel_key(group, channel_id));
  {
    constexpr int kPosts = 2000;
    client::v1::Post post;
    post.set_message_id(std::string(16, 'm'));
    post.mutable_text()->set_body("ประกาศ: ประชุมผู้บริหารวันจันทร์ เวลา 09.00 น. ห้องประชุม 1");
    std::size_t size = 0;
    auto t = Clock::now();
    for (int i = 0; i < kPosts; ++i) {
      client::v1::ChannelEnvelope env;
      env.mutable_envelope()->set_post(post.SerializeAsString());
      const Bytes sig = spokes_device.key.sign(identity::SignedKind::post, as_bytes(env.envelope().post()));
      env.mutable_envelope()->set_signature(std::string(sig.begin(), sig.end()));
      env.set_chain(spokes_device.chain.SerializeAsString());
      const std::string plain = env.SerializeAsString();
      auto sealed = must(identity::seal_channel_post(*suite, key, channel_id, group.epoch(), as_bytes(plain)));
      size = sealed.ciphertext.size() + sealed.nonce.size() + 8;
    }
    std::printf("publish one post: %.1f us (sign + encrypt once), %zu bytes for any number of subscribers\n",
                seconds_since(t) * 1e6 / kPosts, size);
  }

  // Subscribe: what one new subscriber costs the publisher, and downloads.
  {
    constexpr std::size_t kNew = 2000;
    wrapped_bytes = 0;
    auto t = Clock::now();
    for (std::size_t i = 0; i < kNew && i < n; ++i) (void)admit(subs[i], key, group.epoch(), true);
    const double each = seconds_since(t) / static_cast<double>(std::min(kNew, n));
    pb::ServerFrame frame;
    auto* ck = frame.mutable_channel_key();
    ck->set_channel_id(std::string(channel_id.begin(), channel_id.end()));
    ck->set_generation(group.epoch());
    *ck->mutable_key() = admit(subs[0], key, group.epoch(), false);
    std::printf("subscribe: publisher %.0f us per new subscriber device (verify chain + registration, wrap); "
                "the subscriber downloads %zu bytes of key\n",
                each * 1e6, frame.ByteSizeLong());
  }

  // Removal: a commit, then a wrap for everyone left.
  {
    auto t = Clock::now();
    auto out = must(group.commit({}, {}, 0));
    (void)out;
    const double commit_s = seconds_since(t);
    auto next_key = must(identity::channel_key(group, channel_id));
    for (const bool cold : {true, false}) {
      if (cold) verifier = std::make_shared<identity::MemberVerifier>(pki.root.public_key(), Bytes{});
      wrapped_bytes = 0;
      t = Clock::now();
      for (std::size_t i = 1; i < n; ++i) (void)admit(subs[i], next_key, group.epoch(), cold);
      std::printf("removal (%s): commit %.1f ms + wraps for %zu devices %.2f s = %.2f s of one core; %.1f MB uploaded to the relay\n",
                  cold ? "cold: every subscriber verified" : "warm: chains cached, wraps only", commit_s * 1e3,
                  n - 1, seconds_since(t), commit_s + seconds_since(t), static_cast<double>(wrapped_bytes) / 1e6);
    }
    // A subscriber opens its wrap.
    auto w = admit(subs[1], next_key, group.epoch(), false);
    crypto::HpkeCiphertext ct{Bytes(w.kem_output().begin(), w.kem_output().end()),
                              Bytes(w.ciphertext().begin(), w.ciphertext().end())};
    auto opened = must(identity::unwrap_channel_key(*suite, subs[1].hpke_private, channel_id, group.epoch(),
                                                    as_bytes(subs[1].device_key), ct));
    if (opened.view().size() != next_key.view().size() ||
        !std::equal(opened.view().begin(), opened.view().end(), next_key.view().begin())) {
      die("a wrapped key does not open to the same key");
    }
  }
  return 0;
}
