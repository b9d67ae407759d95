#include "gchat/identity/verify.hpp"

#include <doctest/doctest.h>

#include <functional>

#include "test_pki.hpp"

using namespace gchat;
using namespace gchat::identity;
using gchat::testing::TestPki;

namespace {

Errc code_of(const Result<VerifiedDevice>& r) { return r.ok() ? Errc::ok : r.error().code; }

struct World {
  TestPki pki;
  gchat::testing::TestAgency moi = pki.agency("moi", Clearance::secret);
  gchat::testing::TestAdmin admin = pki.admin(moi, "admin1");
  gchat::testing::TestUser somchai = pki.user(admin, "somchai", Clearance::secret, {v1::PUBLISH});
  gchat::testing::TestDevice laptop = pki.device(admin, somchai);
};

}  // namespace

TEST_CASE("a complete chain verifies and tells who the device belongs to") {
  World w;
  auto r = verify_chain(w.laptop.chain, w.pki.anchor());
  REQUIRE(r.ok());
  CHECK(r->user.user_id == "somchai");
  CHECK(r->user.agency.agency_id == "moi");
  CHECK(r->user.agency.name_en == "Agency moi");
  CHECK(r->user.clearance == Clearance::secret);
  CHECK(r->user.may_publish);
  CHECK_FALSE(r->user.cross_agency);
  CHECK(r->user.admin_id == "admin1");
  CHECK(r->device_key == w.laptop.key.public_key());
  CHECK(r->device_name == "laptop");
  CHECK(r->not_after == w.pki.to);
  // From bytes too (an MLS credential carries the serialized chain).
  CHECK(verify_chain(w.laptop.chain_bytes(), w.pki.anchor()).ok());
}

TEST_CASE("an agency certificate not signed by the pinned root is refused") {
  World w;
  TestPki other;
  auto r = verify_chain(w.laptop.chain, other.anchor());
  CHECK(code_of(r) == Errc::cert_bad_signature);
  CHECK(r.error().message.find("pinned government root") != std::string::npos);
}

TEST_CASE("a tampered certificate body is refused") {
  World w;
  auto chain = w.laptop.chain;
  std::string body = chain.user().body();
  body[body.size() / 2] ^= 0x01;
  chain.mutable_user()->set_body(body);
  CHECK(code_of(verify_chain(chain, w.pki.anchor())) == Errc::cert_bad_signature);
}

TEST_CASE("missing certificates and garbage are refused as malformed") {
  World w;
  auto chain = w.laptop.chain;
  chain.clear_device();
  CHECK(code_of(verify_chain(chain, w.pki.anchor())) == Errc::cert_malformed);
  CHECK(code_of(verify_chain(Bytes{1, 2, 3}, w.pki.anchor())) == Errc::cert_malformed);
  CHECK(code_of(verify_chain(Bytes(kMaxChainSize + 1), w.pki.anchor())) == Errc::cert_malformed);
}

TEST_CASE("expired and not-yet-valid certificates are refused at every level") {
  World w;
  auto anchor = w.pki.anchor();
  anchor.now = w.pki.to + 1;
  CHECK(code_of(verify_chain(w.laptop.chain, anchor)) == Errc::cert_expired);
  anchor.now = w.pki.from - kClockSkewSeconds - 1;
  CHECK(code_of(verify_chain(w.laptop.chain, anchor)) == Errc::cert_not_yet_valid);
  anchor.now = w.pki.from - kClockSkewSeconds + 1;  // inside the allowed clock skew
  CHECK(verify_chain(w.laptop.chain, anchor).ok());

  // A device certificate that expired while the rest of the chain is fine.
  TestPki& pki = w.pki;
  pki.to = pki.now - 1;
  auto old_device = pki.device(w.admin, w.somchai);
  CHECK(code_of(verify_chain(old_device.chain, pki.anchor())) == Errc::cert_expired);
}

TEST_CASE("an administrator of agency A cannot certify a user of agency B") {
  World w;
  auto mof = w.pki.agency("mof");
  auto mof_admin = w.pki.admin(mof, "admin9");
  auto u = w.pki.user_body(w.admin, "mallory", Clearance::confidential);
  u.body.set_agency_id("mof");
  w.pki.sign_user(u, w.admin);
  auto d = w.pki.device(w.admin, u);
  auto r = verify_chain(d.chain, w.pki.anchor());
  CHECK(code_of(r) == Errc::cert_mismatch);

  // Nor can the chain pair agency A's administrator with agency B's certificate.
  auto chain = d.chain;
  *chain.mutable_agency() = mof.cert;
  CHECK(code_of(verify_chain(chain, w.pki.anchor())) == Errc::cert_bad_signature);
  (void)mof_admin;
}

TEST_CASE("a clearance above the agency's cap is refused") {
  World w;  // moi may grant at most Secret
  auto u = w.pki.user(w.admin, "ace", Clearance::top_secret);
  auto d = w.pki.device(w.admin, u);
  auto r = verify_chain(d.chain, w.pki.anchor());
  CHECK(code_of(r) == Errc::cert_clearance_above_cap);
  CHECK(r.error().message.find("ลับมาก / Secret") != std::string::npos);
}

TEST_CASE("each kind of certificate needs the signer's role") {
  World w;
  auto helpdesk = w.pki.admin(w.moi, "helpdesk", {v1::USER_ADMIN});
  auto officer_only = w.pki.admin(w.moi, "officer", {v1::CLEARANCE_OFFICER});

  auto plain = w.pki.user(helpdesk, "plain", Clearance::unclassified);
  CHECK(verify_chain(w.pki.device(helpdesk, plain).chain, w.pki.anchor()).ok());

  auto secret = w.pki.user(helpdesk, "secret", Clearance::confidential);
  CHECK(code_of(verify_chain(w.pki.device(helpdesk, secret).chain, w.pki.anchor())) == Errc::cert_role_missing);

  auto publisher = w.pki.user(helpdesk, "pub", Clearance::unclassified, {v1::PUBLISH});
  CHECK(code_of(verify_chain(w.pki.device(helpdesk, publisher).chain, w.pki.anchor())) == Errc::cert_role_missing);

  auto by_officer = w.pki.user(officer_only, "x", Clearance::unclassified);
  CHECK(code_of(verify_chain(w.pki.device(officer_only, by_officer).chain, w.pki.anchor())) == Errc::cert_role_missing);
}

TEST_CASE("a user certificate must name the administrator who signed it") {
  World w;
  auto u = w.pki.user_body(w.admin, "x", Clearance::unclassified);
  u.body.set_admin_id("someone-else");
  w.pki.sign_user(u, w.admin);
  CHECK(code_of(verify_chain(w.pki.device(w.admin, u).chain, w.pki.anchor())) == Errc::cert_mismatch);
}

TEST_CASE("a device certificate must be signed by its own user's identity key") {
  World w;
  auto other = w.pki.user(w.admin, "other", Clearance::unclassified);
  auto d = w.pki.device(w.admin, other);
  auto chain = d.chain;
  *chain.mutable_user() = w.somchai.cert;  // claim somchai's certificate
  CHECK(code_of(verify_chain(chain, w.pki.anchor())) == Errc::cert_bad_signature);

  // Signed by the right key but naming another user.
  v1::DeviceCertificate body = d.body;
  body.set_user_id("other");
  *chain.mutable_device() = make_signed(SignedKind::device_certificate, body, w.somchai.identity);
  CHECK(code_of(verify_chain(chain, w.pki.anchor())) == Errc::cert_mismatch);
}

TEST_CASE("revoked agencies, administrators, users, certificates and devices are refused") {
  World w;
  auto check_revoked = [&](auto fill) {
    v1::RevocationList list;
    list.set_number(1);
    fill(list);
    Revocations revoked(list);
    auto r = verify_chain(w.laptop.chain, w.pki.anchor(&revoked));
    CHECK(code_of(r) == Errc::cert_revoked);
  };
  check_revoked([&](v1::RevocationList& l) { l.add_device_keys(w.laptop.body.device_key()); });
  check_revoked([&](v1::RevocationList& l) {
    auto* u = l.add_users();
    u->set_agency_id("moi");
    u->set_user_id("somchai");
  });
  check_revoked([&](v1::RevocationList& l) { l.add_user_serials(w.somchai.body.serial()); });
  check_revoked([&](v1::RevocationList& l) { l.add_admin_ids("moi/admin1"); });
  check_revoked([&](v1::RevocationList& l) { l.add_agency_ids("moi"); });

  // Entries about someone else do not touch this chain.
  v1::RevocationList unrelated;
  unrelated.add_device_keys(std::string(32, 'x'));
  auto* u = unrelated.add_users();
  u->set_agency_id("mof");
  u->set_user_id("somchai");
  unrelated.add_admin_ids("mof/admin1");
  Revocations revoked(unrelated);
  CHECK(verify_chain(w.laptop.chain, w.pki.anchor(&revoked)).ok());
}

TEST_CASE("malformed certificate fields are refused even when signed") {
  World w;
  auto bad_clearance = w.pki.user_body(w.admin, "x", Clearance::unclassified);
  bad_clearance.body.set_clearance(static_cast<v1::Clearance>(7));
  w.pki.sign_user(bad_clearance, w.admin);
  CHECK(code_of(verify_chain(w.pki.device(w.admin, bad_clearance).chain, w.pki.anchor())) == Errc::cert_malformed);

  auto bad_id = w.pki.user_body(w.admin, "x", Clearance::unclassified);
  bad_id.body.set_user_id("Not An Id");
  w.pki.sign_user(bad_id, w.admin);
  CHECK(code_of(verify_chain(w.pki.device(w.admin, bad_id).chain, w.pki.anchor())) == Errc::cert_malformed);

  auto short_key = w.pki.user_body(w.admin, "x", Clearance::unclassified);
  short_key.body.set_identity_key("short");
  w.pki.sign_user(short_key, w.admin);
  auto d = w.pki.device(w.admin, short_key);
  CHECK(code_of(verify_chain(d.chain, w.pki.anchor())) == Errc::cert_malformed);

  auto empty_validity = w.pki.user_body(w.admin, "x", Clearance::unclassified);
  empty_validity.body.mutable_validity()->set_not_after(empty_validity.body.validity().not_before());
  w.pki.sign_user(empty_validity, w.admin);
  CHECK(code_of(verify_chain(w.pki.device(w.admin, empty_validity).chain, w.pki.anchor())) == Errc::cert_malformed);
}

// Renewal by the agency's issuing service: a RENEWAL-only administrator's certificate stands on
// its basis, and says exactly what the basis says.
namespace {

struct Renewals : World {
  gchat::testing::TestAdmin service = pki.admin(moi, "issuer", {v1::RENEWAL});

  VerifiedAdmin verified(const gchat::testing::TestAdmin& a) {
    auto v = verify_admin(a.chain, pki.anchor());
    REQUIRE(v.ok());
    return *v;
  }
  v1::Validity later() const {
    v1::Validity v;
    v.set_not_before(pki.now - 60);
    v.set_not_after(pki.to + 60 * 24 * 3600);
    return v;
  }
  // The renewal as the service builds it, changed by `tamper`, signed by the service.
  v1::Signed renew(const v1::Signed& current, const std::function<void(v1::UserCertificate&)>& tamper = {}) {
    auto body = renewal_of(current, admin.chain, verified(service), pki.next_serial++, later());
    REQUIRE_MESSAGE(body.ok(), body.error().to_string());
    if (tamper) tamper(*body);
    return make_signed(SignedKind::user_certificate, *body, service.key);
  }
  Errc verify(const v1::Signed& user, const Revocations* revoked = nullptr) {
    auto r = verify_user(verified(service), user, pki.anchor(revoked));
    return r.ok() ? Errc::ok : r.error().code;
  }
};

}  // namespace

TEST_CASE("a renewal by the issuing service verifies, carries its basis, and keeps the person as they were") {
  Renewals w;
  const v1::Signed renewed = w.renew(w.somchai.cert);
  auto user = verify_user(w.verified(w.service), renewed, w.pki.anchor());
  REQUIRE_MESSAGE(user.ok(), user.error().to_string());
  CHECK(user->clearance == Clearance::secret);
  CHECK(user->may_publish);
  CHECK(user->admin_id == "issuer");
  CHECK(user->basis_serial == w.somchai.body.serial());
  CHECK(user->not_after == w.pki.to);  // bounded by the service's own certificate
  // A renewal of the renewal keeps the original basis (no nesting).
  v1::UserCertificate second;
  REQUIRE(second.ParseFromString(w.renew(renewed).body()));
  v1::UserCertificate basis;
  REQUIRE(basis.ParseFromString(second.basis().body()));
  CHECK(basis.serial() == w.somchai.body.serial());
  CHECK_FALSE(basis.has_basis());
}

TEST_CASE("the issuing service cannot raise, add a right, rename, re-key, backdate or sign without a basis") {
  Renewals w;
  CHECK(w.verify(w.renew(w.somchai.cert, [](auto& b) { b.set_clearance(v1::TOP_SECRET); })) ==
        Errc::cert_renewal_changed);
  CHECK(w.verify(w.renew(w.somchai.cert, [](auto& b) { b.add_rights(v1::CROSS_AGENCY_GROUPS); })) ==
        Errc::cert_renewal_changed);
  CHECK(w.verify(w.renew(w.somchai.cert, [](auto& b) { b.set_name_th("คนอื่น"); })) == Errc::cert_renewal_changed);
  CHECK(w.verify(w.renew(w.somchai.cert, [](auto& b) { b.set_identity_key(std::string(32, 'k')); })) ==
        Errc::cert_renewal_changed);
  CHECK(w.verify(w.renew(w.somchai.cert, [&](auto& b) { *b.mutable_validity() = w.somchai.body.validity(); })) ==
        Errc::cert_renewal_changed);
  CHECK(w.verify(w.renew(w.somchai.cert, [](auto& b) {
          b.clear_basis();
          b.clear_basis_issuer();
        })) == Errc::cert_role_missing);
  // A basis that is not signed by its issuer (a forged "original").
  CHECK(w.verify(w.renew(w.somchai.cert, [](auto& b) { b.mutable_basis()->set_signature(std::string(64, 'x')); })) ==
        Errc::cert_bad_signature);
  // A basis by an administrator without USER_ADMIN (the service renewing what it made up).
  CHECK(w.verify(w.renew(w.somchai.cert, [&](auto& b) { *b.mutable_basis_issuer() = w.service.chain; })) !=
        Errc::ok);
  // An ordinary administrator's certificate may not name a basis.
  auto plain = w.somchai.body;
  *plain.mutable_basis() = w.somchai.cert;
  auto by_admin = verify_user(w.verified(w.admin), make_signed(SignedKind::user_certificate, plain, w.admin.key),
                              w.pki.anchor());
  REQUIRE_FALSE(by_admin.ok());
  CHECK(by_admin.error().code == Errc::cert_malformed);
}

TEST_CASE("revoking the basis revokes every renewal standing on it") {
  Renewals w;
  const v1::Signed renewed = w.renew(w.somchai.cert);
  v1::RevocationList list;
  list.set_number(1);
  list.add_user_serials(w.somchai.body.serial());
  const Revocations revoked(list);
  CHECK(w.verify(renewed, &revoked) == Errc::cert_revoked);
}

TEST_CASE("renewal_of refuses another agency's certificate and an administrator without a renewing role") {
  Renewals w;
  auto mof = w.pki.agency("mof");
  auto mof_service = w.pki.admin(mof, "issuer", {v1::RENEWAL});
  auto at_mof = verify_admin(mof_service.chain, w.pki.anchor());
  REQUIRE(at_mof.ok());
  CHECK(renewal_of(w.somchai.cert, w.admin.chain, *at_mof, 99, w.later()).error().code == Errc::cert_mismatch);
  auto channels = w.pki.admin(w.moi, "channels", {v1::CHANNEL_ADMIN});
  CHECK(renewal_of(w.somchai.cert, w.admin.chain, w.verified(channels), 99, w.later()).error().code ==
        Errc::cert_role_missing);
  v1::UserCertificate current = w.somchai.body, renewed = w.somchai.body;
  renewed.set_serial(777);
  renewed.mutable_validity()->set_not_after(current.validity().not_after() + 1);
  CHECK(check_renewal(current, renewed).ok());
  renewed.set_clearance(v1::UNCLASSIFIED);
  CHECK(check_renewal(current, renewed).error().code == Errc::cert_renewal_changed);
}
