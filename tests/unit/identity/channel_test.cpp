// Broadcast channels: the signed descriptor and who may subscribe and publish; the channel key
// from the publishers' MLS group, its HPKE wrap to one device, and post encryption, each refusing
// anything that is not exactly theirs.
#include <doctest/doctest.h>

#include "gchat/crypto/hpke.hpp"
#include "gchat/identity/channel.hpp"
#include "gchat/identity/channel_keys.hpp"
#include "gchat/identity/mls_identity.hpp"
#include "test_pki.hpp"

using namespace gchat;
using namespace gchat::identity;
using gchat::testing::TestPki;

namespace {

const crypto::CipherSuite& suite() { return **crypto::CipherSuite::from_id(crypto::kDefaultSuite); }

v1::UserRef ref(const std::string& agency, const std::string& user) {
  v1::UserRef r;
  r.set_agency_id(agency);
  r.set_user_id(user);
  return r;
}

struct World {
  TestPki pki;
  gchat::testing::TestAgency moi = pki.agency("moi", Clearance::secret);
  gchat::testing::TestAdmin channel_admin = pki.admin(moi, "chan", {v1::USER_ADMIN, v1::CLEARANCE_OFFICER, v1::CHANNEL_ADMIN});
  gchat::testing::TestAdmin user_admin = pki.admin(moi, "users", {v1::USER_ADMIN, v1::CLEARANCE_OFFICER});

  v1::ChannelDescriptor descriptor() const {
    v1::ChannelDescriptor d;
    d.set_channel_id(std::string(kChannelIdSize, 'c'));
    d.set_agency_id("moi");
    d.set_title("ประกาศ");
    d.set_level(v1::CONFIDENTIAL);
    d.add_allowed_agencies("mof");
    *d.add_publishers() = ref("moi", "spokes");
    d.set_version(1);
    d.set_admin_id("chan");
    return d;
  }
  TrustAnchor anchor() const { return TrustAnchor{pki.root.public_key(), pki.now, nullptr}; }
};

}  // namespace

TEST_CASE("a channel descriptor verifies only from a channel administrator of its agency, as signed") {
  World w;
  const auto d = w.descriptor();
  auto ok = verify_channel(make_signed(SignedKind::channel, d, w.channel_admin.key), w.channel_admin.chain, w.anchor());
  REQUIRE(ok.ok());
  CHECK(ok->descriptor.title() == "ประกาศ");

  // Signed by an administrator without the role.
  auto other = d;
  other.set_admin_id("users");
  auto no_role = verify_channel(make_signed(SignedKind::channel, other, w.user_admin.key), w.user_admin.chain, w.anchor());
  REQUIRE_FALSE(no_role.ok());
  CHECK(no_role.error().code == Errc::cert_role_missing);

  // Tampered after signing; signed under another label; another agency's channel.
  auto signed_d = make_signed(SignedKind::channel, d, w.channel_admin.key);
  signed_d.mutable_body()->back() ^= 1;
  CHECK_FALSE(verify_channel(signed_d, w.channel_admin.chain, w.anchor()).ok());
  CHECK_FALSE(verify_channel(make_signed(SignedKind::post, d, w.channel_admin.key), w.channel_admin.chain, w.anchor()).ok());
  auto foreign = d;
  foreign.set_agency_id("mof");
  CHECK(verify_channel(make_signed(SignedKind::channel, foreign, w.channel_admin.key), w.channel_admin.chain, w.anchor())
            .error()
            .code == Errc::cert_mismatch);

  // Shape: id size, level above the agency's cap, publishers of another agency, version 0.
  for (int i = 0; i < 4; ++i) {
    auto bad = d;
    if (i == 0) bad.set_channel_id("short");
    if (i == 1) bad.set_level(v1::TOP_SECRET);
    if (i == 2) *bad.add_publishers() = ref("mof", "x");
    if (i == 3) bad.set_version(0);
    CHECK_FALSE(verify_channel(make_signed(SignedKind::channel, bad, w.channel_admin.key), w.channel_admin.chain,
                               w.anchor())
                    .ok());
  }
}

TEST_CASE("who may subscribe and who may publish") {
  World w;
  const auto d = w.descriptor();
  CHECK(may_subscribe("moi", Clearance::confidential, d).ok());  // its own agency
  CHECK(may_subscribe("mof", Clearance::secret, d).ok());        // a listed agency
  CHECK(may_subscribe("mof", Clearance::unclassified, d).error().code == Errc::clearance_too_low);
  CHECK(may_subscribe("mod", Clearance::top_secret, d).error().code == Errc::agency_not_allowed);
  auto open = d;
  open.clear_allowed_agencies();
  CHECK(may_subscribe("mod", Clearance::confidential, open).ok());  // none listed: every agency

  auto spokes = w.pki.user(w.channel_admin, "spokes", Clearance::confidential, {v1::PUBLISH});
  auto chain = w.pki.device(w.channel_admin, spokes).chain;
  auto verified = verify_chain(chain, w.anchor());
  REQUIRE(verified.ok());
  CHECK(may_publish(verified->user, d).ok());
  // Listed but without the right; with the right but not listed.
  auto no_right = verify_chain(w.pki.device(w.user_admin, w.pki.user(w.user_admin, "spokes", Clearance::secret)).chain,
                               w.anchor());
  REQUIRE(no_right.ok());
  CHECK(may_publish(no_right->user, d).error().code == Errc::policy_not_permitted);
  auto unlisted = verify_chain(
      w.pki.device(w.channel_admin, w.pki.user(w.channel_admin, "other", Clearance::secret, {v1::PUBLISH})).chain,
      w.anchor());
  REQUIRE(unlisted.ok());
  CHECK_FALSE(may_publish(unlisted->user, d).ok());

  CHECK(channel_of_publishers_group(publishers_group_id(as_bytes(d.channel_id()))) == Bytes(16, 'c'));
  CHECK_FALSE(channel_of_publishers_group(as_bytes(d.channel_id())));
}

TEST_CASE("channel keys: one per publishers' epoch, wrapped for one device, channel and generation") {
  World w;
  auto spokes = w.pki.user(w.channel_admin, "spokes", Clearance::confidential, {v1::PUBLISH});
  auto device = w.pki.device(w.channel_admin, spokes);
  auto id = mls_identity(device.chain, device.key);
  REQUIRE(id.ok());
  v1::GroupPolicy policy;
  policy.set_kind(v1::CHANNEL);
  policy.set_level(v1::CONFIDENTIAL);
  *policy.add_publishers() = ref("moi", "spokes");
  auto verifier = std::make_shared<MemberVerifier>(w.pki.root.public_key(), Bytes{});
  const Bytes channel(16, 'c');
  auto group = mls::Group::create(suite(), publishers_group_id(channel), *id, verifier->rules(), group_extensions(policy));
  REQUIRE(group.ok());
  auto k0 = channel_key(*group, channel);
  REQUIRE(k0.ok());
  CHECK(k0->size() == suite().aead_key_length());
  REQUIRE(group->commit({}, {}, 0).ok());  // an empty commit: the next generation
  auto k1 = channel_key(*group, channel);
  REQUIRE(k1.ok());
  CHECK(k1->view().size() == k0->view().size());
  CHECK_FALSE(std::equal(k1->view().begin(), k1->view().end(), k0->view().begin()));

  const auto hpke = suite().hpke().generate_key_pair();
  const Bytes dev(32, 'd');
  auto wrapped = wrap_channel_key(suite(), hpke.public_key, channel, 1, dev, *k1);
  REQUIRE(wrapped.ok());
  auto opened = unwrap_channel_key(suite(), hpke.private_key, channel, 1, dev, *wrapped);
  REQUIRE(opened.ok());
  CHECK(std::equal(opened->view().begin(), opened->view().end(), k1->view().begin(), k1->view().end()));
  // Another generation, device or channel: the wrap does not open.
  CHECK(unwrap_channel_key(suite(), hpke.private_key, channel, 2, dev, *wrapped).error().code == Errc::decrypt_failed);
  CHECK_FALSE(unwrap_channel_key(suite(), hpke.private_key, channel, 1, Bytes(32, 'e'), *wrapped).ok());
  CHECK_FALSE(unwrap_channel_key(suite(), hpke.private_key, Bytes(16, 'x'), 1, dev, *wrapped).ok());
  const auto other = suite().hpke().generate_key_pair();
  CHECK_FALSE(unwrap_channel_key(suite(), other.private_key, channel, 1, dev, *wrapped).ok());

  const std::string text = "ประกาศฉบับที่ 1";
  auto sealed = seal_channel_post(suite(), *k1, channel, 1, as_bytes(text));
  REQUIRE(sealed.ok());
  auto plain = open_channel_post(suite(), *k1, channel, 1, sealed->nonce, sealed->ciphertext);
  REQUIRE(plain.ok());
  CHECK(std::string(plain->begin(), plain->end()) == text);
  // The old key (a departed subscriber's), another generation or channel, a flipped bit: refused.
  CHECK(open_channel_post(suite(), *k0, channel, 1, sealed->nonce, sealed->ciphertext).error().code == Errc::decrypt_failed);
  CHECK_FALSE(open_channel_post(suite(), *k1, channel, 0, sealed->nonce, sealed->ciphertext).ok());
  CHECK_FALSE(open_channel_post(suite(), *k1, Bytes(16, 'x'), 1, sealed->nonce, sealed->ciphertext).ok());
  auto flipped = sealed->ciphertext;
  flipped[0] ^= 1;
  CHECK_FALSE(open_channel_post(suite(), *k1, channel, 1, sealed->nonce, flipped).ok());
  CHECK_FALSE(open_channel_post(suite(), *k1, channel, 1, Bytes(3, 0), sealed->ciphertext).ok());
}

TEST_CASE("a publishers' group admits only listed publishers with the right") {
  World w;
  v1::GroupPolicy policy;
  policy.set_kind(v1::CHANNEL);
  policy.set_level(v1::CONFIDENTIAL);
  *policy.add_publishers() = ref("moi", "spokes");
  *policy.add_publishers() = ref("moi", "norights");
  auto verifier = std::make_shared<MemberVerifier>(w.pki.root.public_key(), Bytes{});
  auto spokes = w.pki.device(w.channel_admin, w.pki.user(w.channel_admin, "spokes", Clearance::secret, {v1::PUBLISH}));
  auto id = mls_identity(spokes.chain, spokes.key);
  REQUIRE(id.ok());
  auto group = mls::Group::create(suite(), publishers_group_id(Bytes(16, 'c')), *id, verifier->rules(),
                                  group_extensions(policy));
  REQUIRE(group.ok());
  for (const std::string name : {"norights", "unlisted"}) {
    auto d = w.pki.device(w.user_admin, w.pki.user(w.user_admin, name, Clearance::secret));
    auto other = mls_identity(d.chain, d.key);
    REQUIRE(other.ok());
    auto kp = mls::make_key_package(suite(), *other, 0, mls::kMaxKeyPackageLifetime);
    REQUIRE(kp.ok());
    auto added = group->commit({kp->key_package}, {}, 0);
    REQUIRE_FALSE(added.ok());
    CHECK(added.error().code == Errc::policy_not_permitted);
  }
}
