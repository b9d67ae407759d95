// The certificate registry on top of the Store (certificates.hpp).
#include "certificates.hpp"

#include <algorithm>

#include "gchat/identity/certificate.hpp"
#include "gchat/identity/verify.hpp"
#include "gchat/server/log.hpp"
#include "wire.hpp"

namespace gchat::server {

namespace {

namespace v1 = identity::v1;
using wire::to_bytes;

// A person has a handful of devices; the registry's fallback reads no more chains than this.
constexpr std::uint32_t kMaxChainsRead = 64;

}  // namespace

Result<AdminChainRecord> admin_chain_record(const v1::AdminChain& chain) {
  v1::AgencyCertificate agency;
  v1::AdminCertificate admin;
  GCHAT_TRY_STATUS(identity::parse_canonical(as_bytes(chain.agency().body()), agency, "agency certificate"));
  GCHAT_TRY_STATUS(
      identity::parse_canonical(as_bytes(chain.admin().body()), admin, "administrator certificate"));
  AdminChainRecord r;
  r.agency_id = admin.agency_id();
  r.admin_id = admin.admin_id();
  r.admin_key = to_bytes(admin.admin_key());
  r.admin_not_after = admin.validity().not_after();
  r.not_after = std::min(agency.validity().not_after(), admin.validity().not_after());
  r.chain = to_bytes(chain.SerializeAsString());
  return r;
}

Result<CertificateRecords> certificate_records(const v1::Signed& certificate, const v1::AdminChain& issuer) {
  v1::UserCertificate body;
  GCHAT_TRY_STATUS(identity::parse_canonical(as_bytes(certificate.body()), body, "user certificate"));
  CertificateRecords out;
  GCHAT_TRY(out.issuer, admin_chain_record(issuer));
  auto& u = out.user;
  u.agency_id = body.agency_id();
  u.user_id = body.user_id();
  u.identity_key = to_bytes(body.identity_key());
  u.serial = body.serial();
  u.not_before = body.validity().not_before();
  u.not_after = body.validity().not_after();
  u.admin_id = body.admin_id();
  u.admin_key = out.issuer.admin_key;
  u.certificate = to_bytes(certificate.SerializeAsString());
  u.issuer_chain = out.issuer.chain;
  return out;
}

bool newer_than(const UserCertificateRecord& candidate, const UserCertificateRecord& current) {
  return candidate.serial != current.serial && candidate.not_before >= current.not_before &&
         candidate.not_after > current.not_after;
}

Status store_certificate(Store& store, const CertificateRecords& records) {
  const auto& u = records.user;
  GCHAT_TRY_STATUS(store.put_user_certificate(u, wire::now_ms()));
  GCHAT_TRY_STATUS(store.save_user_certificate(u.agency_id, u.user_id, u.serial, u.certificate));
  GCHAT_TRY(bool kept, store.put_admin_chain(records.issuer));
  (void)kept;
  return {};
}

Result<CertificateShown> certificate_shown(Store& store, const CertificateRecords& shown, DeviceRef device) {
  const auto& u = shown.user;
  CertificateShown out;
  GCHAT_TRY(auto current, store.current_user_certificate(u.agency_id, u.user_id));
  if (!current || newer_than(u, *current)) {
    GCHAT_TRY_STATUS(store_certificate(store, shown));
    out.changed = true;
    if (current) {
      GCHAT_TRY(out.to_tell, store.devices_of_user(u.agency_id, u.user_id));
      std::erase(out.to_tell, device);
    }
    return out;
  }
  GCHAT_TRY_STATUS(store.save_user_certificate(u.agency_id, u.user_id, u.serial, u.certificate));
  GCHAT_TRY(out.changed, store.put_admin_chain(shown.issuer));
  return out;
}

Result<std::optional<UserCertificateRecord>> current_certificate_of(Store& store,
                                                                    const std::string& agency_id,
                                                                    const std::string& user_id) {
  GCHAT_TRY(auto current, store.current_user_certificate(agency_id, user_id));
  if (current) return current;
  // The chains were verified when the devices authenticated (or their leaves were admitted).
  GCHAT_TRY(auto devices, store.devices_of_person(agency_id, user_id, kMaxChainsRead));
  std::optional<CertificateRecords> best;
  for (const auto& d : devices) {
    v1::Chain chain;
    if (d.chain.empty() || !chain.ParseFromArray(d.chain.data(), static_cast<int>(d.chain.size()))) continue;
    v1::AdminChain issuer;
    *issuer.mutable_agency() = chain.agency();
    *issuer.mutable_admin() = chain.admin();
    auto records = certificate_records(chain.user(), issuer);
    if (!records.ok()) continue;
    if (!best || newer_than(records->user, best->user)) best = std::move(*records);
  }
  if (!best) return std::optional<UserCertificateRecord>{};
  GCHAT_TRY_STATUS(store_certificate(store, *best));
  return std::optional<UserCertificateRecord>(std::move(best->user));
}

Result<Bytes> newest_issuer(Store& store, const UserCertificateRecord& record) {
  GCHAT_TRY(auto newest, store.admin_chain(record.agency_id, record.admin_id, record.admin_key));
  return newest ? std::move(*newest) : record.issuer_chain;
}

Result<Bytes> issuer_for_basis(Store& store, BytesView root_key, const UserCertificateRecord& record) {
  GCHAT_TRY(auto newest, store.admin_chain(record.agency_id, record.admin_id, record.admin_key));
  if (!newest) return record.issuer_chain;
  v1::AdminChain chain;
  if (!chain.ParseFromArray(newest->data(), static_cast<int>(newest->size()))) return record.issuer_chain;
  const identity::TrustAnchor then{Bytes(root_key.begin(), root_key.end()), record.not_before, nullptr};
  if (!identity::verify_admin(chain, then).ok()) return record.issuer_chain;
  return std::move(*newest);
}

std::shared_ptr<const std::string> certificate_notice(std::uint64_t serial) {
  pb::ServerFrame f;
  f.mutable_certificate_notice()->set_serial(serial);
  return std::make_shared<const std::string>(f.SerializeAsString());
}

void refresh_expiry_gauges(Relay& relay) {
  // One count in the writer's queue is enough, however many changes asked for it meanwhile.
  if (relay.metrics().expiry_gauges_queued.exchange(true)) return;
  auto counts = std::make_shared<ExpiryCounts>();
  relay.storage().submit(
      StorageWriter::Request{[&relay, counts](Store& store) -> Status {
                               relay.metrics().expiry_gauges_queued = false;
                               const auto now = static_cast<std::int64_t>(wire::now_ms() / 1000);
                               GCHAT_TRY(*counts, store.count_expiring(now, now + kExpiryWarningSeconds));
                               return {};
                             },
                             [&relay, counts](const Status& s) {
                               if (!s.ok()) {
                                 log::error("expiry_count_failed", {{"error", s.error().to_string()}});
                                 return;
                               }
                               relay.metrics().user_certificates_expiring = counts->users;
                               relay.metrics().admin_chains_expiring = counts->admin_chains;
                             }});
}

}  // namespace gchat::server
