#pragma once
// Two agencies, people at every level, a relay key and a MemberVerifier: G-Chat groups built with
// the real identity rules, for the identity tests.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "gchat/identity/mls_identity.hpp"
#include "test_pki.hpp"

namespace gchat::identity::testing {

using gchat::testing::TestDevice;
using gchat::testing::TestPki;

inline constexpr std::uint64_t kNow = 0;  // key package lifetimes are not what these tests are about

inline const crypto::CipherSuite& suite() { return **crypto::CipherSuite::from_id(crypto::kDefaultSuite); }

inline mls::CommitOptions with_extensions(std::vector<mls::Extension> extensions) {
  mls::CommitOptions o;
  o.extensions = std::move(extensions);
  return o;
}

inline mls::MlsMessage wire(const mls::MlsMessage& m) {
  auto back = codec::decode_exact<mls::MlsMessage>(codec::encode(m));
  REQUIRE(back.ok());
  return std::move(*back);
}

struct Person {
  TestDevice device;
  mls::Identity id;
};

// Two agencies: moi (up to Top Secret) and mof (up to Secret); people at every level.
struct World {
  TestPki pki;
  gchat::testing::TestAgency moi = pki.agency("moi");
  gchat::testing::TestAgency mof = pki.agency("mof", Clearance::secret);
  gchat::testing::TestAdmin moi_admin = pki.admin(moi, "admin");
  gchat::testing::TestAdmin mof_admin = pki.admin(mof, "admin");
  SigningKey relay = SigningKey::generate();
  std::shared_ptr<MemberVerifier> verifier =
      std::make_shared<MemberVerifier>(pki.root.public_key(), relay.public_key());
  std::map<std::string, Person> people;

  Person& person(const std::string& name, Clearance level, bool mof_agency = false) {
    auto& admin = mof_agency ? mof_admin : moi_admin;
    auto user = pki.user(admin, name, level);
    Person p{pki.device(admin, user), {}};
    p.id = std::move(*mls_identity(p.device.chain, p.device.key));
    return people.insert_or_assign(name, std::move(p)).first->second;
  }

  mls::KeyPackage key_package(const std::string& name) {
    auto kp = mls::make_key_package(suite(), people.at(name).id, 0, mls::kMaxKeyPackageLifetime);
    REQUIRE(kp.ok());
    bundles.insert_or_assign(name, std::move(*kp));
    return bundles.at(name).key_package;
  }
  std::map<std::string, mls::KeyPackageBundle> bundles;

  v1::GroupPolicy policy(Clearance level, std::vector<std::string> agencies = {}) {
    v1::GroupPolicy p;
    p.set_kind(v1::GROUP);
    p.set_level(static_cast<v1::Clearance>(level));
    for (auto& a : agencies) p.add_allowed_agencies(a);
    auto* admin = p.add_admins();
    admin->set_agency_id("moi");
    admin->set_user_id("alice");
    return p;
  }

  mls::Group create(const std::string& creator, const v1::GroupPolicy& p) {
    auto g = mls::Group::create(suite(), Bytes{'g'}, people.at(creator).id, verifier->rules(),
                                group_extensions(p, RelaySender{relay.public_key(), "relay-1"}));
    REQUIRE(g.ok());
    return std::move(*g);
  }

  // A modified client: the credential check only (no epoch or proposal rules), as an attacker
  // holding a valid certificate could run.
  mls::Group rogue(const mls::Group& g, const std::string& name) {
    auto r = mls::Group::deserialize(suite(), g.serialize().view(), people.at(name).id,
                                     mls::GroupRules([v = verifier](const mls::Credential& c, BytesView k,
                                                                    mls::CredentialUse u) {
                                       return v->check_credential(c, k, u);
                                     }));
    REQUIRE(r.ok());
    return std::move(*r);
  }

  // The evidence the relay attaches to a Remove: an administrator's signed act and chain.
  Bytes evidence(const v1::AdminAct& act, const gchat::testing::TestAdmin& admin) {
    v1::RemovalEvidence e;
    *e.mutable_admin() = admin.chain;
    *e.mutable_act() = make_signed(SignedKind::admin_act, act, admin.key);
    return serialize_canonical(e);
  }
  // The act of a clearance officer setting `name`'s clearance (same identity key, a new serial).
  v1::AdminAct clearance_act(const std::string& name, Clearance level, std::int64_t not_before_shift = 0) {
    const auto& chain = people.at(name).device.chain;
    v1::UserCertificate held;
    REQUIRE(held.ParseFromString(chain.user().body()));
    held.set_serial(pki.next_serial++);
    held.set_clearance(static_cast<v1::Clearance>(level));
    held.mutable_validity()->set_not_before(held.validity().not_before() + not_before_shift);
    v1::AdminAct act;
    act.set_issued_at(pki.now);
    *act.mutable_set_clearance() = make_signed(SignedKind::user_certificate, held, moi_admin.key);
    return act;
  }
  // A Remove from the relay, as the group's external sender, with `evidence` as authenticated data.
  mls::MlsMessage relay_remove(const mls::Group& g, mls::LeafIndex leaf, BytesView evidence) {
    auto p = mls::external_proposal(suite(), g.group_id(), g.epoch(), 0, mls::Proposal{mls::Remove{leaf}},
                                    relay.seed().view(), evidence);
    REQUIRE(p.ok());
    return wire(*p);
  }

  Result<mls::Group> join(const std::string& name, const mls::MlsMessage& welcome) {
    mls::JoinOptions options;
    options.rules = verifier->rules();
    return mls::Group::join(suite(), std::get<mls::Welcome>(wire(welcome).body), std::move(bundles.at(name)),
                            people.at(name).id, options);
  }
};


}  // namespace gchat::identity::testing
