// gchat-admin serve: an agency's online issuing service. With its renewal administrator's key
// (RENEWAL, nothing else) it renews, round after round, the certificate of every person of the
// agency who is not revoked and whose certificate expires within the window: the same person,
// names, clearance, rights and identity key, a new serial and validity, standing on the ordinary
// certificate it renews (identity::renewal_of). The relay and every client check that basis to the
// root, so the service can extend a certificate and nothing else. It runs unattended: the
// passphrase comes from a file or the environment, the chain file is re-read every round (a renewed
// chain is picked up without a restart), SIGTERM or SIGINT stops it between two people.
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>

#include "commands.hpp"

namespace gchat::tools::admin {

namespace {

// SIGTERM and SIGINT are blocked and collected: a renewal being signed and submitted always
// completes, and the service stops at the next person or while it waits for the next round.
class StopSignals {
 public:
  StopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set_, &previous_);
  }
  ~StopSignals() {
    // A signal that came after the last look is taken here: the service is stopping anyway, and
    // unblocking it would end the process with the signal instead of the exit code.
    const timespec none{0, 0};
    while (sigtimedwait(&set_, nullptr, &none) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  bool requested() { return wait_seconds(0); }
  // Waits up to `seconds` for a stop signal; true when one came (now or earlier).
  bool wait_seconds(long seconds) {
    if (received_ != 0) return true;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    for (;;) {
      const auto left =
          std::max(std::chrono::steady_clock::duration::zero(), deadline - std::chrono::steady_clock::now());
      const auto secs = std::chrono::duration_cast<std::chrono::seconds>(left);
      timespec ts{
          static_cast<time_t>(secs.count()),
          static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(left - secs).count())};
      const int sig = sigtimedwait(&set_, nullptr, &ts);
      if (sig > 0) {
        received_ = sig;
        return true;
      }
      if (errno != EINTR || left == std::chrono::steady_clock::duration::zero()) return false;
    }
  }
  const char* name() const { return received_ == SIGINT ? "SIGINT" : "SIGTERM"; }

 private:
  sigset_t set_{}, previous_{};
  int received_ = 0;
};

std::string timestamp() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

void log_line(const std::string& line) {
  std::cout << timestamp() << " " << line << std::endl;
}
void warn_line(const std::string& line) {
  std::cerr << timestamp() << " gchat-admin serve: " << line << std::endl;
}

bool renewal_only(const identity::VerifiedAdmin& admin) {
  return admin.roles.size() == 1 && admin.roles.front() == v1::RENEWAL;
}

// What every verifier checks to the root, checked here as far as the service can without it: the
// renewal stands on a certificate of this agency, signed by the administrator it names, whose
// certificate the agency key of its chain signed; and it says what that basis says. So a relay
// that hands the service something else gets a refusal, not a signature.
Status check_basis_here(const v1::UserCertificate& current, const v1::UserCertificate& renewal,
                        const std::string& agency_id) {
  GCHAT_TRY_STATUS(identity::check_renewal(current, renewal));
  if (!renewal.has_basis()) return {};
  v1::UserCertificate basis;
  GCHAT_TRY_STATUS(
      identity::parse_canonical(as_bytes(renewal.basis().body()), basis, "the renewed certificate"));
  v1::AdminCertificate signer;
  GCHAT_TRY_STATUS(identity::parse_canonical(as_bytes(renewal.basis_issuer().admin().body()), signer,
                                             "the renewed certificate's signer"));
  v1::AgencyCertificate agency;
  GCHAT_TRY_STATUS(identity::parse_canonical(as_bytes(renewal.basis_issuer().agency().body()), agency,
                                             "the renewed certificate's agency"));
  if (basis.agency_id() != agency_id || signer.agency_id() != agency_id || agency.agency_id() != agency_id ||
      signer.admin_id() != basis.admin_id()) {
    return fail(Errc::cert_mismatch,
                "the certificate to renew and its signer's chain are not of one administrator of '" +
                    agency_id + "'");
  }
  GCHAT_TRY_STATUS(identity::verify_signature(
      identity::SignedKind::admin_certificate, as_bytes(renewal.basis_issuer().admin().body()),
      as_bytes(renewal.basis_issuer().admin().signature()), as_bytes(agency.agency_key())));
  GCHAT_TRY_STATUS(
      identity::verify_signature(identity::SignedKind::user_certificate, as_bytes(renewal.basis().body()),
                                 as_bytes(renewal.basis().signature()), as_bytes(signer.admin_key())));
  if (basis.serial() != current.serial()) GCHAT_TRY_STATUS(identity::check_renewal(basis, renewal));
  return {};
}

struct Round {
  int renewed = 0, not_due = 0, revoked = 0, refused = 0;
  bool failed = false;   // the round itself could not run (chain, relay)
  bool stopped = false;  // a stop signal came during the round
};

class IssuingService {
 public:
  IssuingService(const po::variables_map& vm, identity::SigningKey key, SecretBytes passphrase)
      : vm_(vm),
        key_path_(opt(vm, "admin-key")),
        chain_path_(opt(vm, "admin-chain")),
        key_(std::move(key)),
        passphrase_(std::move(passphrase)) {
    window_ = number_option(vm, "renew-before-days", 30, 1, 3649) * kDay;
    days_ = number_option(vm, "days", 90, 1, 3650);
    if (days_ * kDay <= window_) {
      usage_error(
          "--days must be longer than --renew-before-days, or a renewal would not outlast the certificate it "
          "renews");
    }
  }

  long window_days() const { return static_cast<long>(window_ / kDay); }
  long days() const { return days_; }

  // The chain as its file says now, with the key that belongs to it: when a renewed chain names a
  // new key (and `may_reload`), the key file is read again. Failure for a chain that is not a
  // renewal administrator's.
  std::pair<v1::AdminChain, identity::VerifiedAdmin> current_identity(bool may_reload) {
    auto chain = read_message<v1::AdminChain>(chain_path_);
    v1::AdminCertificate body;
    must(identity::parse_canonical(as_bytes(chain.admin().body()), body, "administrator certificate"),
         "reading " + chain_path_);
    if (may_reload && body.admin_key() != key_string(key_.public_key())) {
      // Renewed with a new key: the new key file was put in place of the old one.
      auto reloaded = identity::read_key_file(key_path_, "admin", passphrase_);
      if (!reloaded.ok() || body.admin_key() != key_string(reloaded->public_key())) {
        throw Failure{
            1, "the chain in '" + chain_path_ + "' is for another key than the one in '" + key_path_ +
                   "' (renewed with a new key? put the new key file there, sealed with the same passphrase, "
                   "or restart serve with it)"};
      }
      key_ = std::move(*reloaded);
      log_line("the chain in " + chain_path_ + " names a new key; using the new key in " + key_path_);
    }
    auto admin = admin_of(chain, key_, chain_path_);
    if (!renewal_only(admin)) {
      throw Failure{
          1,
          "serve runs only with a renewal administrator's key (gchat-admin admin create --roles renewal): '" +
              admin.agency.agency_id + "/" + admin.admin_id + "' holds " + roles_text(admin) +
              ", too much for a key that stays online"};
    }
    return {std::move(chain), std::move(admin)};
  }

  Round run_round(StopSignals& stop) {
    Round r;
    try {
      auto [chain, admin] = current_identity(true);
      warn_own_expiry(admin);
      auto relay = RelayConnection::open(vm_);
      v1::AdminAct list;
      list.mutable_list_users();
      auto listed = relay.submit(key_, chain, list);
      if (!listed.ok)
        throw Failure{
            1, "the relay refused to list the people of " + admin.agency.agency_id + ": " + listed.refusal()};
      for (const auto& person : listed.ok->users()) {
        if (stop.requested()) {
          r.stopped = true;
          break;
        }
        renew_if_due(relay, chain, admin, person, r);
      }
    } catch (const Failure& f) {
      r.failed = true;
      log_line("round failed: " + f.message);
    }
    log_line("round: " + std::to_string(r.renewed) + " renewed, " + std::to_string(r.not_due + r.revoked) +
             " skipped (" + std::to_string(r.not_due) + " not due, " + std::to_string(r.revoked) +
             " revoked), " + std::to_string(r.refused) + " refused" +
             (r.failed ? "; the round did not finish (above)" : "") + (r.stopped ? "; stopped early" : ""));
    return r;
  }

 private:
  void warn_own_expiry(const identity::VerifiedAdmin& admin) const {
    const std::int64_t t = now();
    const std::string who = admin.agency.agency_id + "/" + admin.admin_id;
    if (admin.not_after <= t) {
      warn_line("the service's chain (" + who + ") expired on " + date_of(admin.not_after) +
                "; the relay refuses it until it is renewed (gchat-admin admin renew) and the new chain is "
                "moved over " +
                chain_path_);
    } else if (admin.not_after - t <= kWarnSeconds) {
      warn_line("warning: the service's chain (" + who + ") " + expiry_text(admin.not_after, t) +
                ": renew it (gchat-admin admin renew) and move the new chain over " + chain_path_ +
                "; serve reads it every round");
    }
  }

  void refuse(Round& r, const std::string& who, const std::string& why) {
    ++r.refused;
    log_line("refused " + who + ": " + why);
  }

  void renew_if_due(RelayConnection& relay, const v1::AdminChain& chain, const identity::VerifiedAdmin& admin,
                    const v1::UserSummary& person, Round& r) {
    const std::string who = admin.agency.agency_id + "/" + person.user_id();
    if (person.revoked()) {  // renewal never resurrects anyone
      ++r.revoked;
      return;
    }
    const std::int64_t t = now();
    if (person.not_after() != 0 && person.not_after() - t > window_) {
      ++r.not_due;
      return;
    }
    v1::AdminAct query;
    query.mutable_get_user()->set_agency_id(admin.agency.agency_id);
    query.mutable_get_user()->set_user_id(person.user_id());
    const auto fetched = relay.submit(key_, chain, query);
    if (!fetched.ok)
      return refuse(r, who, "the relay would not give the current certificate: " + fetched.refusal());
    const v1::Signed& current = fetched.ok->user_certificate();
    v1::UserCertificate body;
    if (auto st = identity::parse_canonical(as_bytes(current.body()), body, "the current certificate");
        !st.ok()) {
      return refuse(r, who, st.error().to_string());
    }
    if (body.agency_id() != admin.agency.agency_id || body.user_id() != person.user_id()) {
      return refuse(r, who,
                    "the relay answered with the certificate of " + body.agency_id() + "/" + body.user_id());
    }
    if (body.validity().not_after() - t > window_) {  // renewed since the list was made
      ++r.not_due;
      return;
    }
    if (!body.has_basis() && !fetched.ok->has_user_issuer()) {
      return refuse(r, who,
                    "the relay gave no chain of the certificate's signer (it needs a relay that serves "
                    "user_issuer)");
    }
    v1::Validity validity = validity_for(days_);
    std::uint64_t serial = new_serial();
    while (serial == body.serial()) serial = new_serial();
    auto renewal = identity::renewal_of(current, fetched.ok->user_issuer(), admin, serial, validity);
    if (!renewal.ok()) return refuse(r, who, renewal.error().to_string() + " (checked here, not sent)");
    Status checked = check_basis_here(body, *renewal, admin.agency.agency_id);
    if (checked.ok()) checked = identity::check_user_issuable(admin, *renewal);
    if (!checked.ok()) return refuse(r, who, checked.error().to_string() + " (checked here, not sent)");
    v1::AdminAct act;
    *act.mutable_renew_user() = identity::make_signed(identity::SignedKind::user_certificate, *renewal, key_);
    const auto applied = relay.submit(key_, chain, act);
    if (!applied.ok) return refuse(r, who, "the relay refused the renewal: " + applied.refusal());
    ++r.renewed;
    log_line("renewed " + who + ": " +
             identity::label_both(static_cast<identity::Clearance>(renewal->clearance())) + ", serial " +
             std::to_string(serial) + " until " + date_of(validity.not_after()) + " (was serial " +
             std::to_string(body.serial()) + " until " + date_of(body.validity().not_after()) + ")" +
             (applied.ok->audit_seq() ? "; audit entry " + std::to_string(applied.ok->audit_seq()) : ""));
  }

  const po::variables_map& vm_;
  std::string key_path_, chain_path_;
  identity::SigningKey key_;
  SecretBytes passphrase_;  // kept to reload the key file when a renewed chain names a new key
  std::int64_t window_ = 0;
  long days_ = 0;
};

}  // namespace

int serve(const po::variables_map& vm) {
  StopSignals stop;
  // Configuration is checked before the first round, and any fault in it exits 2, so that a
  // supervisor (systemd: RestartPreventExitStatus=2) does not restart a service that cannot work.
  std::optional<IssuingService> service;
  long every = 0;
  try {
    relay_endpoint(vm);
    const std::string ca = opt(vm, "ca");
    if (!std::filesystem::is_regular_file(ca)) usage_error("--ca: cannot read '" + ca + "'");
    every = number_option(vm, "every", 3600, 1, 7 * 24 * 3600);
    const std::string key_path = opt(vm, "admin-key");
    auto passphrase =
        read_passphrase(vm, "passphrase-file", "GCHAT_PASSPHRASE", "passphrase for " + key_path, false);
    auto key = must(identity::read_key_file(key_path, "admin", passphrase), "reading " + key_path);
    service.emplace(vm, std::move(key), std::move(passphrase));
    const auto admin = service->current_identity(false).second;
    log_line("issuing service of " + admin.agency.agency_id + " as " + admin.admin_id +
             ": renews certificates " + "expiring within " + std::to_string(service->window_days()) +
             " days, for " + std::to_string(service->days()) + " days, " +
             (vm.count("once") ? std::string("one round") : "every " + std::to_string(every) + " s"));
  } catch (Failure& f) {
    f.code = 2;
    throw;
  }
  for (;;) {
    const Round r = service->run_round(stop);
    if (vm.count("once")) return r.failed || r.refused > 0 ? 1 : 0;
    if (r.stopped || stop.wait_seconds(every)) {
      log_line(std::string("stopping on ") + stop.name());
      return 0;
    }
  }
}

}  // namespace gchat::tools::admin
