// Untrusted certificate chains (a Hello, an MLS credential) and group policies: verification never
// crashes or reads out of bounds, and a chain that verifies is exactly one of the seeds (a mutated
// chain must never pass, since every byte is either signed or structure around signed bytes).
#include <ctime>

#include <google/protobuf/stubs/logging.h>

#include "fuzz.hpp"
#include "gchat/identity/mls_identity.hpp"
#include "gchat/identity/verify.hpp"

using namespace gchat;
using namespace gchat::identity;

namespace {

struct Pki {
  SigningKey root = *SigningKey::from_seed(Bytes(32, 1));
  SigningKey agency_key = *SigningKey::from_seed(Bytes(32, 2));
  SigningKey admin_key = *SigningKey::from_seed(Bytes(32, 3));
  SigningKey user_key = *SigningKey::from_seed(Bytes(32, 4));
  SigningKey device_key = *SigningKey::from_seed(Bytes(32, 5));
  static constexpr std::int64_t kNow = 1'800'000'000;
  v1::Chain chain;

  Pki() {
    auto validity = [](v1::Validity* v) {
      v->set_not_before(kNow - 10);
      v->set_not_after(kNow + 1000);
    };
    auto key = [](const SigningKey& k) { return std::string(k.public_key().begin(), k.public_key().end()); };
    v1::AgencyCertificate a;
    a.set_serial(1);
    a.set_agency_id("moi");
    a.set_name_th("ก");
    a.set_name_en("a");
    a.set_agency_key(key(agency_key));
    a.set_max_clearance(v1::SECRET);
    validity(a.mutable_validity());
    v1::AdminCertificate ad;
    ad.set_serial(2);
    ad.set_admin_id("admin");
    ad.set_agency_id("moi");
    ad.set_name_th("ข");
    ad.set_name_en("b");
    ad.set_admin_key(key(admin_key));
    ad.add_roles(v1::USER_ADMIN);
    ad.add_roles(v1::CLEARANCE_OFFICER);
    validity(ad.mutable_validity());
    v1::UserCertificate u;
    u.set_serial(3);
    u.set_user_id("user");
    u.set_agency_id("moi");
    u.set_name_th("ค");
    u.set_name_en("c");
    u.set_identity_key(key(user_key));
    u.set_clearance(v1::SECRET);
    validity(u.mutable_validity());
    u.set_admin_id("admin");
    v1::DeviceCertificate d;
    d.set_serial(4);
    d.set_user_id("user");
    d.set_agency_id("moi");
    d.set_device_key(key(device_key));
    validity(d.mutable_validity());
    *chain.mutable_agency() = make_signed(SignedKind::agency_certificate, a, root);
    *chain.mutable_admin() = make_signed(SignedKind::admin_certificate, ad, agency_key);
    *chain.mutable_user() = make_signed(SignedKind::user_certificate, u, admin_key);
    *chain.mutable_device() = make_signed(SignedKind::device_certificate, d, user_key);
  }
};

const Pki& pki() {
  static const Pki p;
  return p;
}

}  // namespace

std::vector<Bytes> fuzz_seeds() {
  const std::string chain = pki().chain.SerializeAsString();
  v1::GroupPolicy policy;
  policy.set_kind(v1::GROUP);
  policy.set_level(v1::SECRET);
  policy.add_allowed_agencies("moi");
  const std::string p = policy.SerializeAsString();
  return {Bytes(chain.begin(), chain.end()), Bytes(p.begin(), p.end())};
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = [] {
    google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*, int, const std::string&) {});
    return true;
  }();
  (void)quiet;
  const BytesView in(data, size);
  auto verified = verify_chain(in, TrustAnchor{pki().root.public_key(), Pki::kNow, nullptr});
  if (verified.ok()) {
    // Protobuf allows re-encodings of the same chain message (field order, repeats), but the four
    // signed bodies must be the seed's: compare what was verified, not the envelope.
    v1::Chain parsed;
    parsed.ParseFromArray(data, static_cast<int>(size));
    const auto& c = pki().chain;
    if (parsed.agency().body() != c.agency().body() || parsed.admin().body() != c.admin().body() ||
        parsed.user().body() != c.user().body() || parsed.device().body() != c.device().body()) {
      fuzz_fail("a chain with altered certificate bodies verified");
    }
  }
  // The same bytes as a group policy extension.
  (void)policy_of({mls::Extension{kPolicyExtensionType, Bytes(in.begin(), in.end())}});
  return 0;
}
