// gchat-admin: the government PKI and its administrative acts. Creates the root (offline, key
// protected by a passphrase with Argon2id), agencies and administrators, and renews them in the
// yearly ceremony; issues user certificates; revokes devices and users on a relay; runs an
// agency's issuing service (serve); verifies a relay's audit log. Every error is a sentence on
// stderr and a non-zero exit code (1: the operation failed, 2: bad usage or configuration).
#include <sodium.h>

#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"

using namespace gchat::tools::admin;

namespace {

constexpr const char* kUsage = R"(usage: gchat-admin <command> [options]

  root init       --key-out FILE [--kdf moderate|sensitive]
  agency create   --root-key FILE --id ID --name-th NAME --name-en NAME --max-clearance LEVEL
                  --key-out FILE --cert-out FILE [--days N]
  agency renew    --root-key FILE --cert FILE --cert-out FILE [--new-key-out FILE] [--days N (365)]
                  (the same agency, names and cap, valid from now; the same key unless --new-key-out)
  admin create    --agency-key FILE --agency-cert FILE --id ID --name-th NAME --name-en NAME
                  --roles user-admin,clearance-officer,channel-admin --key-out FILE --chain-out FILE [--days N]
                  (--roles renewal, alone: the key of the agency's issuing service, see serve)
  admin renew     --agency-key FILE --agency-cert FILE --chain FILE --chain-out FILE [--new-key-out FILE]
                  [--days N (365)]   (re-signs the administrator under the (renewed) agency certificate)
  user issue      --admin-key FILE --admin-chain FILE --id ID --name-th NAME --name-en NAME
                  --clearance LEVEL --identity-key HEX --cert-out FILE [--rights publish,cross-agency] [--days N]
  user get        --admin-key FILE --admin-chain FILE --relay HOST:PORT --ca FILE --user AGENCY/USER
                  [--cert-out FILE]   (the person's current certificate, as the relay holds it)
  enrol grant     --admin-key FILE --admin-chain FILE --relay HOST:PORT --ca FILE --id ID --name-th NAME
                  --name-en NAME --clearance LEVEL [--rights ...] [--code-days N]   (prints the one-time code)
  enrol complete  --admin-key FILE --admin-chain FILE --relay HOST:PORT --ca FILE [--days N]
                  (signs the certificates of every redeemed code of the agency)
  clearance set   --admin-key FILE --admin-chain FILE --relay HOST:PORT --ca FILE --user AGENCY/USER
                  --clearance LEVEL [--days N]   (lowering removes the user from groups above the level)
  revoke device   --admin-key FILE --admin-chain FILE --relay HOST:PORT --ca FILE --device-key HEX
  revoke user     --admin-key FILE --admin-chain FILE --relay HOST:PORT --ca FILE --user AGENCY/USER
  list users      --admin-key FILE --admin-chain FILE --relay HOST:PORT --ca FILE
                  (with each certificate's expiry; EXPIRING within 30 days, REVOKED)
  list expiring   --admin-key FILE --admin-chain FILE --relay HOST:PORT --ca FILE [--within-days N (30)]
  channel create  --admin-key FILE --admin-chain FILE --relay HOST:PORT --ca FILE --title TEXT --clearance LEVEL
                  [--publishers AGENCY/USER,...] [--agencies ID,...] [--channel HEX (to change one)]
                  (prints the channel's id; publishers need the publish right)
  channel subscribe-agency  --admin-key FILE --admin-chain FILE --relay HOST:PORT --ca FILE --channel HEX
                  (every person of your agency cleared for the channel, now and as they connect later)
  serve           --admin-key FILE --admin-chain FILE --relay HOST:PORT --ca FILE [--renew-before-days N (30)]
                  [--days N (90)] [--every SECONDS (3600)] [--once]
                  (the agency's issuing service, with a renewal administrator's key: renews the certificate
                  of everyone not revoked that expires within the window; re-reads the chain every round;
                  stops on SIGTERM or SIGINT; --once: one round, exit 1 if anything was refused)
  audit verify    --db FILE --relay-key HEX
  show            FILE [--verify-root HEX]   (a certificate or chain written by this tool; with the root
                  key, checked to it as a relay would)

LEVEL: 0-3, unclassified|confidential|secret|top-secret, or the Thai label.
Passphrases: --passphrase-file FILE (the key that signs) and --new-passphrase-file FILE (a key
being created), else the environment (GCHAT_PASSPHRASE, GCHAT_NEW_PASSPHRASE), else the terminal.
The relay: --relay HOST:PORT over TLS, its certificate verified with --ca for HOST (a name or an
address); --port PORT is short for --relay 127.0.0.1:PORT.
)";

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) {
    std::cerr << "gchat-admin: libsodium failed to initialise\n";
    return 1;
  }
  po::options_description opts;
  // clang-format off
  opts.add_options()
    ("help,h", "")
    ("key-out", po::value<std::string>(), "") ("cert-out", po::value<std::string>(), "")
    ("chain-out", po::value<std::string>(), "") ("kdf", po::value<std::string>(), "")
    ("root-key", po::value<std::string>(), "") ("agency-key", po::value<std::string>(), "")
    ("agency-cert", po::value<std::string>(), "") ("admin-key", po::value<std::string>(), "")
    ("admin-chain", po::value<std::string>(), "") ("id", po::value<std::string>(), "")
    ("cert", po::value<std::string>(), "") ("chain", po::value<std::string>(), "")
    ("new-key-out", po::value<std::string>(), "") ("verify-root", po::value<std::string>(), "")
    ("name-th", po::value<std::string>(), "") ("name-en", po::value<std::string>(), "")
    ("max-clearance", po::value<std::string>(), "") ("clearance", po::value<std::string>(), "")
    ("roles", po::value<std::string>(), "") ("rights", po::value<std::string>(), "")
    ("identity-key", po::value<std::string>(), "") ("device-key", po::value<std::string>(), "")
    ("user", po::value<std::string>(), "") ("days", po::value<long>(), "")
    ("port", po::value<long>(), "") ("relay", po::value<std::string>(), "") ("ca", po::value<std::string>(), "")
    ("code-days", po::value<long>(), "") ("within-days", po::value<long>(), "")
    ("renew-before-days", po::value<long>(), "") ("every", po::value<long>(), "") ("once", "")
    ("db", po::value<std::string>(), "") ("relay-key", po::value<std::string>(), "")
    ("title", po::value<std::string>(), "") ("publishers", po::value<std::string>(), "")
    ("agencies", po::value<std::string>(), "") ("channel", po::value<std::string>(), "")
    ("passphrase-file", po::value<std::string>(), "") ("new-passphrase-file", po::value<std::string>(), "")
    ("words", po::value<std::vector<std::string>>(), "");
  // clang-format on
  po::positional_options_description positional;
  positional.add("words", -1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(opts).positional(positional).run(), vm);
    po::notify(vm);
    const auto words =
        vm.count("words") ? vm["words"].as<std::vector<std::string>>() : std::vector<std::string>{};
    if (vm.count("help") || words.empty()) {
      std::cout << kUsage;
      return words.empty() && !vm.count("help") ? 2 : 0;
    }
    const std::string command = words[0] + (words.size() > 1 ? " " + words[1] : "");
    if (command == "root init") return root_init(vm);
    if (command == "agency create") return agency_create(vm);
    if (command == "agency renew") return agency_renew(vm);
    if (command == "admin create") return admin_create(vm);
    if (command == "admin renew") return admin_renew(vm);
    if (command == "user issue") return user_issue(vm);
    if (command == "user get") return user_get(vm);
    if (command == "enrol grant") return enrol_grant(vm);
    if (command == "enrol complete") return enrol_complete(vm);
    if (command == "clearance set") return clearance_set(vm);
    if (command == "revoke device") return revoke(vm, "device");
    if (command == "revoke user") return revoke(vm, "user");
    if (command == "audit verify") return audit_verify(vm);
    if (command == "list users") return list_users(vm, false);
    if (command == "list expiring") return list_users(vm, true);
    if (command == "channel create") return channel_create(vm);
    if (command == "channel subscribe-agency") return channel_subscribe_agency(vm);
    if (words[0] == "serve" && words.size() == 1) return serve(vm);
    if (words[0] == "show" && words.size() == 2) return show(vm, words[1]);
    usage_error("unknown command '" + command + "' (gchat-admin --help lists them)");
  } catch (const Failure& f) {
    std::cerr << "gchat-admin: " << f.message << "\n";
    return f.code;
  } catch (const po::error& e) {
    std::cerr << "gchat-admin: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "gchat-admin: " << e.what() << "\n";
    return 1;
  }
}
