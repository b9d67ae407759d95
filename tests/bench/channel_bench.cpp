// gchat-channel-bench: the publisher's side of a broadcast channel with N subscriber devices, on
// one core, with the code the client core runs (identity::MemberVerifier, the channel key from a
// real publishers' MLS group, MLS EncryptWithLabel wraps). Prints:
//   - publish: one post (one signature, one AEAD encryption) and its size, whatever N;
//   - subscribe: the publisher's cost for one new subscriber (verify its chain and key registration,
//     wrap the key) and the bytes that subscriber downloads for it;
//   - removal: the rekey after a subscriber leaves (an empty commit in the publishers' group, a new
//     key, a wrap for each of the N-1 others), cold (every subscriber verified) and warm (chains
//     cached from earlier work, as on the publisher that admitted them).
// The relay's side (fan-out of one post to every online device, a cursor for the offline ones)
// is measured by gchat-loadgen (docs/benchmarks.md). A benchmark, not a test.
//
//   gchat-channel-bench [--subscribers N]
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
T must(Result<T> r) {
  if (!r.ok()) die(r.error().to_string());
  return std::move(*r);
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Subscriber {
  std::string device_key;
  std::string chain;
  idv1::Signed registration;
  SecretBytes hpke_private;
};

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 100'000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--subscribers") == 0 && i + 1 < argc) {
      n = std::stoul(argv[++i]);
    } else {
      die("usage: gchat-channel-bench [--subscribers N]");
    }
  }
  const auto* suite = must(crypto::CipherSuite::from_id(crypto::kDefaultSuite));
  TestPki pki;
  auto agency = pki.agency("moi");
  auto admin = pki.admin(agency, "admin");
  auto spokes = pki.user(admin, "spokes", identity::Clearance::confidential, {idv1::PUBLISH});
  auto spokes_device = pki.device(admin, spokes);

  // The publishers' group (one publisher device) and the channel.
  Bytes channel_id(identity::kChannelIdSize, 7);
  idv1::GroupPolicy policy;
  policy.set_kind(idv1::CHANNEL);
  policy.set_level(idv1::CONFIDENTIAL);
  *policy.add_publishers() = [] {
    idv1::UserRef r;
    r.set_agency_id("moi");
    r.set_user_id("spokes");
    return r;
  }();
  auto verifier = std::make_shared<identity::MemberVerifier>(pki.root.public_key(), Bytes{});
  auto publisher_id = must(identity::mls_identity(spokes_device.chain, spokes_device.key));
  auto group = must(mls::Group::create(*suite, identity::publishers_group_id(channel_id), publisher_id, verifier->rules(),
                                       identity::group_extensions(policy)));

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
      mls::Credential cred;
      cred.credential_type = mls::CredentialType::gchat;
      cred.identity = Bytes(s.chain.begin(), s.chain.end());
      auto who = must(verifier->verify(cred, as_bytes(s.device_key)));
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
