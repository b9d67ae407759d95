#pragma once
// A throw-away government PKI for tests: a root, agencies, administrators, users and devices with
// real Ed25519 keys and certificates valid around the current time.

#include <ctime>
#include <initializer_list>
#include <string>
#include <utility>

#include "gchat/identity/certificate.hpp"
#include "gchat/identity/verify.hpp"

namespace gchat::testing {

namespace id = ::gchat::identity;
namespace v1 = ::gchat::identity::v1;

inline void set_validity(v1::Validity* v, std::int64_t from, std::int64_t to) {
  v->set_not_before(from);
  v->set_not_after(to);
}

struct TestAgency {
  v1::AgencyCertificate body;
  v1::Signed cert;
  id::SigningKey key = id::SigningKey::generate();
};

struct TestAdmin {
  v1::AdminCertificate body;
  v1::AdminChain chain;
  id::SigningKey key = id::SigningKey::generate();
};

struct TestUser {
  v1::UserCertificate body;
  v1::Signed cert;
  id::SigningKey identity = id::SigningKey::generate();
};

struct TestDevice {
  v1::DeviceCertificate body;
  v1::Chain chain;
  id::SigningKey key = id::SigningKey::generate();
  Bytes chain_bytes() const {
    const std::string s = chain.SerializeAsString();
    return Bytes(s.begin(), s.end());
  }
};

class TestPki {
 public:
  id::SigningKey root = id::SigningKey::generate();
  std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  std::int64_t from = now - 3600;
  std::int64_t to = now + 30 * 24 * 3600;
  std::uint64_t next_serial = 1;

  id::TrustAnchor anchor(const id::Revocations* revoked = nullptr) const {
    return id::TrustAnchor{root.public_key(), now, revoked};
  }

  TestAgency agency(const std::string& agency_id, id::Clearance cap = id::Clearance::top_secret) {
    TestAgency a;
    a.body.set_serial(next_serial++);
    a.body.set_agency_id(agency_id);
    a.body.set_name_th("หน่วยงาน " + agency_id);
    a.body.set_name_en("Agency " + agency_id);
    a.body.set_agency_key(std::string(a.key.public_key().begin(), a.key.public_key().end()));
    a.body.set_max_clearance(static_cast<v1::Clearance>(cap));
    set_validity(a.body.mutable_validity(), from, to);
    a.cert = id::make_signed(id::SignedKind::agency_certificate, a.body, root);
    return a;
  }

  TestAdmin admin(const TestAgency& agency, const std::string& admin_id, std::initializer_list<v1::Role> roles = {
                                                                              v1::USER_ADMIN, v1::CLEARANCE_OFFICER,
                                                                              v1::CHANNEL_ADMIN}) {
    TestAdmin a;
    a.body.set_serial(next_serial++);
    a.body.set_admin_id(admin_id);
    a.body.set_agency_id(agency.body.agency_id());
    a.body.set_name_th("ผู้ดูแล " + admin_id);
    a.body.set_name_en("Administrator " + admin_id);
    a.body.set_admin_key(std::string(a.key.public_key().begin(), a.key.public_key().end()));
    for (auto r : roles) a.body.add_roles(r);
    set_validity(a.body.mutable_validity(), from, to);
    *a.chain.mutable_agency() = agency.cert;
    *a.chain.mutable_admin() = id::make_signed(id::SignedKind::admin_certificate, a.body, agency.key);
    return a;
  }

  // The body only: tests change it, then call sign_user.
  TestUser user_body(const TestAdmin& admin, const std::string& user_id, id::Clearance clearance,
                     std::initializer_list<v1::Right> rights = {}) {
    TestUser u;
    u.body.set_serial(next_serial++);
    u.body.set_user_id(user_id);
    u.body.set_agency_id(admin.body.agency_id());
    u.body.set_name_th("คุณ " + user_id);
    u.body.set_name_en("Khun " + user_id);
    u.body.set_identity_key(std::string(u.identity.public_key().begin(), u.identity.public_key().end()));
    u.body.set_clearance(static_cast<v1::Clearance>(clearance));
    for (auto r : rights) u.body.add_rights(r);
    set_validity(u.body.mutable_validity(), from, to);
    u.body.set_admin_id(admin.body.admin_id());
    return u;
  }
  void sign_user(TestUser& u, const TestAdmin& admin) {
    u.cert = id::make_signed(id::SignedKind::user_certificate, u.body, admin.key);
  }
  TestUser user(const TestAdmin& admin, const std::string& user_id, id::Clearance clearance,
                std::initializer_list<v1::Right> rights = {}) {
    TestUser u = user_body(admin, user_id, clearance, rights);
    sign_user(u, admin);
    return u;
  }

  // The chain of a device whose key was made elsewhere (by a client), certified by the person.
  v1::Chain chain_for(const TestAdmin& admin, const TestUser& user, const std::string& device_key,
                      const std::string& name) {
    v1::DeviceCertificate body;
    body.set_serial(next_serial++);
    body.set_user_id(user.body.user_id());
    body.set_agency_id(user.body.agency_id());
    body.set_device_key(device_key);
    body.set_device_name(name);
    set_validity(body.mutable_validity(), from, to);
    v1::Chain chain;
    *chain.mutable_agency() = admin.chain.agency();
    *chain.mutable_admin() = admin.chain.admin();
    *chain.mutable_user() = user.cert;
    *chain.mutable_device() = id::make_signed(id::SignedKind::device_certificate, body, user.identity);
    return chain;
  }

  TestDevice device(const TestAdmin& admin, const TestUser& user, const std::string& name = "laptop") {
    TestDevice d;
    d.body.set_serial(next_serial++);
    d.body.set_user_id(user.body.user_id());
    d.body.set_agency_id(user.body.agency_id());
    d.body.set_device_key(std::string(d.key.public_key().begin(), d.key.public_key().end()));
    d.body.set_device_name(name);
    set_validity(d.body.mutable_validity(), from, to);
    *d.chain.mutable_agency() = admin.chain.agency();
    *d.chain.mutable_admin() = admin.chain.admin();
    *d.chain.mutable_user() = user.cert;
    *d.chain.mutable_device() = id::make_signed(id::SignedKind::device_certificate, d.body, user.identity);
    return d;
  }
};

}  // namespace gchat::testing
