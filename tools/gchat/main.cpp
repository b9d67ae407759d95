// gchat: the command-line G-Chat client, over the same client API as every front end. Scriptable
// (one subcommand per run, --json for machine-readable output) and interactive (`gchat chat`).
// Every error is a sentence on stderr and a non-zero exit code: 1 the operation failed, 2 bad
// usage, 3 a message is still queued (it goes out the next time the client runs).
#include <google/protobuf/util/json_util.h>
#include <sodium.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "gchat/client/client.hpp"
#include "gchat/identity/clearance.hpp"
#include "passphrase.hpp"

using namespace gchat;
namespace api = gchat::client::v1;
namespace idv1 = gchat::identity::v1;
using namespace std::chrono_literals;

namespace {

constexpr const char* kUsage = R"(usage: gchat [--data DIR] [--json] [--passphrase-file FILE] <command> [arguments]

  init --relay HOST:PORT [--relay HOST:PORT ...] --ca FILE --root-key HEX [--device-name NAME] [--kdf moderate]
  enrol CODE [--wait SECONDS]              enrol this device with a code from your administrator
  link request                             on a new device: prints its key
  link approve DEVICE_KEY [--name NAME]    on your enrolled device: prints a token for the new one
  link complete TOKEN                      on the new device
  status
  conversations
  create --kind direct|group [--level LEVEL] [--title TEXT] [--member AGENCY/USER ...] [--agency ID ...]
  add CONVERSATION --member AGENCY/USER [...]
  remove CONVERSATION --member AGENCY/USER [...]
  leave CONVERSATION
  change CONVERSATION [--title TEXT] [--level LEVEL] [--agency ID ...]   admins: a lower level is a declassification
  send CONVERSATION TEXT [--reply-to MESSAGE]
  forward MESSAGE CONVERSATION
  read CONVERSATION
  history CONVERSATION [--limit N]
  search QUERY [--in CONVERSATION]
  channels                                 the broadcast channels open to you
  subscribe CHANNEL                        then read it like a conversation (publishers: send)
  unsubscribe CHANNEL
  devices                                  your devices (key, fingerprint, name, last seen)
  remove-device DEVICE_KEY                 revoke a lost device and take it out of your conversations
  sync [--seconds N]                       receive what is waiting, print it, exit
  chat CONVERSATION                        interactive: type to send, /quit to leave

CONVERSATION, CHANNEL: its id (hex, as printed) or its exact title. LEVEL: unclassified|confidential|secret|
top-secret, 0-3, or the Thai label. DIR defaults to $GCHAT_HOME, else ~/.gchat. The store's
passphrase comes from --passphrase-file, else GCHAT_PASSPHRASE, else the terminal.
)";

struct Failure {
  int code;
  std::string message;
};
[[noreturn]] void usage(const std::string& message) { throw Failure{2, message}; }

std::string hex(const std::string& b) {
  std::string out(b.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(b.data()), b.size());
  out.pop_back();
  return out;
}
std::optional<std::string> unhex(const std::string& h) {
  std::string out(h.size() / 2, '\0');
  std::size_t len = 0;
  if (h.size() % 2 != 0 ||
      sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), h.data(), h.size(), nullptr, &len, nullptr) != 0 ||
      len != out.size()) {
    return std::nullopt;
  }
  return out;
}

struct Args {
  std::vector<std::string> words;
  std::map<std::string, std::vector<std::string>> options;
  bool has(const std::string& o) const { return options.count(o) != 0; }
  std::string one(const std::string& o, const std::string& fallback = "") const {
    auto it = options.find(o);
    return it == options.end() || it->second.empty() ? fallback : it->second.back();
  }
  std::string word(std::size_t i, const char* what) const {
    if (i >= words.size()) usage(std::string("missing ") + what);
    return words[i];
  }
};

Args parse(int argc, char** argv) {
  static const std::set<std::string> flags = {"json", "help"};
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) == 0 && s.size() > 2) {
      const std::string name = s.substr(2);
      if (flags.count(name)) {
        a.options[name].push_back("1");
      } else {
        if (i + 1 >= argc) usage("--" + name + " needs a value");
        a.options[name].push_back(argv[++i]);
      }
    } else {
      a.words.push_back(s);
    }
  }
  return a;
}

std::string data_dir(const Args& a) {
  if (a.has("data")) return a.one("data");
  if (const char* h = std::getenv("GCHAT_HOME")) return h;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.gchat";
}

api::Config load_config(const std::string& dir) {
  std::ifstream in(dir + "/gchat.json");
  if (!in) throw Failure{1, "no configuration in " + dir + " (run `gchat init` first)"};
  nlohmann::json j;
  try {
    in >> j;
  } catch (const std::exception& e) {
    throw Failure{1, dir + "/gchat.json does not parse: " + e.what()};
  }
  api::Config c;
  c.set_data_dir(dir);
  for (const auto& e : j.value("endpoints", nlohmann::json::array())) c.add_endpoints(e.get<std::string>());
  c.set_ca_file(j.value("ca_file", ""));
  auto root = unhex(j.value("root_key", ""));
  if (!root || root->size() != 32) throw Failure{1, dir + "/gchat.json: root_key must be 64 hex digits"};
  c.set_root_key(*root);
  c.set_device_name(j.value("device_name", "cli"));
  c.set_kdf(j.value("kdf", ""));
  c.set_client_name("gchat-cli/0.1");
  return c;
}

void init(const Args& a, const std::string& dir) {
  if (!a.has("relay") || !a.has("ca") || !a.has("root-key")) usage("init needs --relay, --ca and --root-key");
  auto root = unhex(a.one("root-key"));
  if (!root || root->size() != 32) usage("--root-key must be 64 hex digits (gchat-admin root init prints it)");
  const std::string kdf = a.one("kdf", "sensitive");
  if (kdf != "sensitive" && kdf != "moderate" && kdf != "interactive") usage("--kdf is sensitive, moderate or interactive");
  std::filesystem::create_directories(dir);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
  nlohmann::json j;
  j["endpoints"] = a.options.at("relay");
  j["ca_file"] = std::filesystem::absolute(a.one("ca")).string();
  j["root_key"] = a.one("root-key");
  j["device_name"] = a.one("device-name", "cli");
  j["kdf"] = kdf;
  std::ofstream(dir + "/gchat.json") << j.dump(2) << "\n";
  std::cout << "configuration written to " << dir << "/gchat.json\n";
}

// ---------------------------------------------------------------------------------------------
// Output

struct Out {
  bool json = false;
  void print(const google::protobuf::Message& m) const {
    std::string s;
    google::protobuf::util::JsonPrintOptions o;
    o.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(m, &s, o);
    std::cout << s << "\n";
  }
};

std::string level_label(idv1::Clearance c) { return identity::label_both(static_cast<identity::Clearance>(c)); }

std::string when(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  char buf[32];
  std::tm tm{};
  localtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

std::string who(const api::Person& p) {
  return (p.name_th().empty() ? p.user_id() : p.name_th()) + " (" + p.agency_id() + ", " + level_label(p.clearance()) + ")";
}

void show_message(const api::Message& m) {
  if (m.has_notice() && m.notice().has_policy()) {
    const auto& p = m.notice().policy();
    std::cout << "[" << when(m.sent_at_ms()) << "] -- " << who(m.sender().person())
              << (p.declassified() ? " DECLASSIFIED this conversation: " : " changed this conversation: ")
              << level_label(p.old_level()) << " -> " << level_label(p.new_level());
    if (p.old_title() != p.new_title()) std::cout << ", title '" << p.old_title() << "' -> '" << p.new_title() << "'";
    auto agencies = [](const google::protobuf::RepeatedPtrField<std::string>& list) {
      std::string out;
      for (const auto& a : list) out += (out.empty() ? "" : ",") + a;
      return out.empty() ? std::string("any agency") : out;
    };
    if (agencies(p.old_allowed_agencies()) != agencies(p.new_allowed_agencies())) {
      std::cout << ", agencies " << agencies(p.old_allowed_agencies()) << " -> " << agencies(p.new_allowed_agencies());
    }
    std::cout << "\n";
    return;
  }
  std::cout << "[" << when(m.sent_at_ms()) << "] " << who(m.sender().person());
  if (m.has_forwarded()) std::cout << " forwarded from " << who(m.forwarded().original_sender().person());
  if (!m.reply_to().empty()) std::cout << " replying to " << hex(m.reply_to()).substr(0, 8);
  std::cout << ": " << m.text() << "    #" << hex(m.message_id()) << (m.from_other_device() ? " (from your other device)" : "")
            << "\n";
}

std::string date_of(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

void show_certificate(const api::CertificateChanged& c) {
  if (c.clearance_changed()) {
    std::cout << "-- your clearance is now " << level_label(c.person().clearance()) << " (was "
              << level_label(c.previous_clearance()) << "); certificate valid until " << date_of(c.not_after()) << "\n";
  } else {
    std::cout << "-- your certificate was renewed; valid until " << date_of(c.not_after()) << "\n";
  }
}

void show_conversation(const api::Conversation& c) {
  const char* kind = c.kind() == idv1::DIRECT ? "direct" : c.kind() == idv1::CHANNEL ? "channel" : "group ";
  std::cout << hex(c.conversation_id()) << "  " << kind;
  if (c.level() != idv1::UNCLASSIFIED) std::cout << "  [" << level_label(c.level()) << "]";
  std::cout << "  " << (c.title().empty() ? "" : c.title() + " ") << "(";
  if (c.kind() == idv1::CHANNEL) {
    std::cout << c.agency_id() << (c.can_post() ? ", you publish" : ", read only");
  }
  for (int i = 0; i < c.members_size(); ++i) std::cout << (i ? ", " : "") << c.members(i).agency_id() << "/" << c.members(i).user_id();
  std::cout << ")";
  if (c.unread()) std::cout << "  unread " << c.unread();
  if (c.left()) std::cout << "  (left)";
  std::cout << "\n";
}

// ---------------------------------------------------------------------------------------------
// Talking to the core

struct Session {
  std::unique_ptr<client::Client> client;
  Out out;

  api::Response call(api::Request r, std::chrono::milliseconds timeout = 60s) {
    auto resp = client->call(std::move(r), timeout);
    if (resp.has_error()) {
      throw Failure{1, resp.error().message() + " (" + api::ErrorCode_Name(resp.error().code()) + ")"};
    }
    return resp;
  }

  bool connected_within(std::chrono::milliseconds timeout) {
    api::Request st;
    st.mutable_status();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto c = call(st).status().connection();
      if (c.state() == api::ConnectionState::CONNECTED) return true;
      // Refused (revoked, expired, unknown chain): trying again will not change the answer soon.
      if (c.state() == api::ConnectionState::WAITING && !c.refused_code().empty()) return false;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
  void wait_connected(std::chrono::milliseconds timeout) {
    if (connected_within(timeout)) return;
    // Say what happened: a relay that refused this device is not an unreachable one.
    api::Request st;
    st.mutable_status();
    const auto state = call(st).status().connection();
    if (!state.refused_code().empty()) {
      throw Failure{1, "the relay refused this device (" + state.refused_code() + "): " + state.reason()};
    }
    throw Failure{1, "no relay reachable" + (state.reason().empty() ? std::string() : ": " + state.reason()) +
                         " (is the relay running, and the address in gchat.json right?)"};
  }

  // Waits until nothing is left to send; false when time runs out.
  bool drain(std::chrono::milliseconds timeout) {
    api::Request st;
    st.mutable_status();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (call(st).status().queued() == 0) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  // Prints incoming messages (and problems) among the outputs waiting.
  void print_events(std::chrono::milliseconds idle, std::chrono::milliseconds total) {
    const auto deadline = std::chrono::steady_clock::now() + total;
    while (std::chrono::steady_clock::now() < deadline) {
      auto o = client->next(idle);
      if (!o) return;
      if (!o->has_event()) continue;
      const auto& e = o->event();
      if (out.json && (e.has_message() || e.has_membership() || e.has_conversation() || e.has_problem() ||
                       e.has_certificate() || e.has_history())) {
        out.print(e);
      }
      if (out.json) continue;
      if (e.has_message()) show_message(e.message());
      if (e.has_conversation()) {
        std::cout << "joined: ";
        show_conversation(e.conversation());
      }
      if (e.has_problem()) std::cerr << "gchat: " << e.problem().message() << "\n";
      if (e.has_certificate()) show_certificate(e.certificate());
      if (e.has_history() && e.history().messages() > 0) {
        std::cout << "-- " << e.history().messages() << " earlier messages from your other device in "
                  << hex(e.history().conversation_id()).substr(0, 8) << "\n";
      }
    }
  }

  std::string conversation(const std::string& given) { return conversation_info(given).conversation_id(); }
  api::Conversation conversation_info(const std::string& given) {
    api::Request r;
    r.mutable_list_conversations();
    auto list = call(r).conversations();
    std::vector<api::Conversation> matches;
    for (const auto& c : list.conversations()) {
      if (hex(c.conversation_id()) == given || c.title() == given) matches.push_back(c);
    }
    if (matches.empty()) throw Failure{1, "no conversation '" + given + "' (see `gchat conversations`)"};
    if (matches.size() > 1) throw Failure{1, "several conversations are titled '" + given + "'; use the id"};
    return matches.front();
  }
};

idv1::UserRef user_ref(const std::string& s) {
  const auto slash = s.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == s.size()) usage("a member is AGENCY/USER, not '" + s + "'");
  idv1::UserRef r;
  r.set_agency_id(s.substr(0, slash));
  r.set_user_id(s.substr(slash + 1));
  return r;
}

idv1::Clearance level_of(const std::string& s) {
  auto c = identity::parse_clearance(s);
  if (!c) usage("unknown level '" + s + "'");
  return static_cast<idv1::Clearance>(*c);
}

void chat(Session& s, const std::string& conv) {
  api::Request h;
  h.mutable_history()->set_conversation_id(conv);
  h.mutable_history()->set_limit(20);
  const auto recent = s.call(h);
  for (const auto& m : recent.messages().messages()) show_message(m);
  std::cout << "-- type a message and press Enter; /quit to leave --\n" << std::flush;
  std::mutex mu;
  std::deque<std::string> lines;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    std::string line;
    while (std::getline(std::cin, line)) {
      std::lock_guard lock(mu);
      lines.push_back(line);
      if (line == "/quit") break;
    }
    done = true;
  });
  reader.detach();  // a blocked read ends with the process
  for (;;) {
    std::deque<std::string> typed;
    {
      std::lock_guard lock(mu);
      typed.swap(lines);
    }
    bool quit = false;
    for (const auto& line : typed) {
      if (line == "/quit") {
        quit = true;
        break;
      }
      if (line.empty()) continue;
      api::Request r;
      r.mutable_send_text()->set_conversation_id(conv);
      r.mutable_send_text()->set_text(line);
      auto resp = s.client->call(r, 10s);
      if (resp.has_error()) std::cerr << "gchat: " << resp.error().message() << "\n";
    }
    if (quit || (done && typed.empty())) break;
    auto o = s.client->next(200ms);
    if (!o || !o->has_event()) continue;
    const auto& e = o->event();
    if (e.has_message() && e.message().conversation_id() == conv) show_message(e.message());
    if (e.has_membership() && e.membership().conversation_id() == conv) {
      for (const auto& p : e.membership().added()) std::cout << "-- " << who(p) << " joined\n";
      for (const auto& p : e.membership().removed()) std::cout << "-- " << p.agency_id() << "/" << p.user_id() << " left\n";
      if (e.membership().self_removed()) {
        std::cout << "-- you are no longer in this conversation\n";
        break;
      }
    }
    if (e.has_connection() && e.connection().state() == api::ConnectionState::WAITING) {
      std::cout << "-- offline: " << e.connection().reason() << " (messages wait and go out later)\n";
    }
    std::cout << std::flush;
  }
  if (!s.drain(15s)) throw Failure{3, "some messages are still queued; they go out the next time gchat runs"};
}

int run(int argc, char** argv) {
  const Args a = parse(argc, argv);
  if (a.has("help") || a.words.empty()) {
    std::cout << kUsage;
    return a.words.empty() && !a.has("help") ? 2 : 0;
  }
  const std::string dir = data_dir(a);
  const std::string& cmd = a.words[0];
  if (cmd == "init") {
    init(a, dir);
    return 0;
  }
  static const std::set<std::string> known = {"enrol", "link", "status", "conversations", "create", "add", "remove", "leave", "change",
                                               "send", "forward", "read", "history", "search", "sync", "chat",
                                               "channels", "subscribe", "unsubscribe", "devices", "remove-device"};
  if (!known.count(cmd)) usage("unknown command '" + cmd + "'");
  Session s;
  s.out.json = a.has("json");
  s.client = std::make_unique<client::Client>(load_config(dir));
  tools::PassphraseSource source;
  if (a.has("passphrase-file")) source.file = a.one("passphrase-file");
  source.file_option = "passphrase-file";
  source.env = "GCHAT_PASSPHRASE";
  source.prompt = "passphrase for the G-Chat store in " + dir;
  auto pass = tools::read_passphrase(source);
  if (!pass.ok()) throw Failure{pass.error().code == Errc::invalid_argument ? 2 : 1, pass.error().message};
  api::Request open;
  open.mutable_open()->set_passphrase(std::string(pass->view().begin(), pass->view().end()));
  const auto opened = s.call(open);
  open.Clear();
  auto print = [&](const api::Response& r) { s.out.print(r); };

  api::Request r;
  if (cmd == "enrol") {
    r.mutable_enrol()->set_code(a.word(1, "the enrolment code"));
    r.mutable_enrol()->set_wait_ms(static_cast<std::uint32_t>(std::stoul(a.one("wait", "30"))) * 1000);
    auto resp = s.client->call(r, std::chrono::seconds(std::stoul(a.one("wait", "30")) + 30));
    if (resp.has_error() && resp.error().code() == api::PENDING) {
      throw Failure{1, "waiting for your administrator to approve the code; run the same command again later"};
    }
    if (resp.has_error()) throw Failure{1, resp.error().message() + " (" + api::ErrorCode_Name(resp.error().code()) + ")"};
    if (s.out.json) return print(resp), 0;
    std::cout << "enrolled as " << who(resp.enrolled().person()) << "\n";
    return 0;
  }
  if (cmd == "link") {
    const std::string step = a.word(1, "request, approve or complete");
    if (step == "request") {
      r.mutable_request_link();
      auto resp = s.call(r);
      if (s.out.json) return print(resp), 0;
      std::cout << hex(resp.link_requested().device_key()) << "\n";
      return 0;
    }
    if (step == "approve") {
      auto key = unhex(a.word(2, "the new device's key"));
      if (!key) usage("the device key is hex");
      r.mutable_approve_link()->set_device_key(*key);
      r.mutable_approve_link()->set_device_name(a.one("name", "device"));
      auto resp = s.call(r);
      if (s.out.json) return print(resp), 0;
      std::cout << hex(resp.link_approved().token()) << "\n";
      // Stay a little so that the new device, once online, is added to every conversation.
      s.wait_connected(30s);
      return 0;
    }
    if (step == "complete") {
      auto token = unhex(a.word(2, "the token"));
      if (!token) usage("the token is hex");
      r.mutable_complete_link()->set_token(*token);
      auto resp = s.call(r);
      if (s.out.json) return print(resp), 0;
      std::cout << "linked as " << who(resp.enrolled().person()) << "\n";
      return 0;
    }
    usage("link request | approve | complete");
  }
  if (cmd == "status") {
    if (opened.opened().enrolled()) (void)s.connected_within(std::chrono::seconds(std::stoul(a.one("wait", "5"))));
    r.mutable_status();
    auto resp = s.call(r);
    if (s.out.json) return print(resp), 0;
    const auto& st = resp.status();
    if (!st.enrolled()) {
      std::cout << "not enrolled (gchat enrol CODE)\n";
    } else {
      std::cout << who(st.self().person()) << ", device " << st.self().device_name() << "\n";
      std::cout << "certificate valid until " << date_of(st.certificate_not_after()) << "\n";
    }
    std::cout << "relay: " << api::ConnectionState::State_Name(st.connection().state()) << " "
              << st.connection().endpoint() << " " << st.connection().reason() << "\nqueued: " << st.queued() << "\n";
    return 0;
  }
  if (!opened.opened().enrolled()) throw Failure{1, "this device is not enrolled (gchat enrol CODE)"};
  if (cmd == "devices") {
    r.mutable_list_devices();
    s.wait_connected(30s);
    auto resp = s.call(r);
    s.print_events(100ms, 1s);
    if (s.out.json) return print(resp), 0;
    for (const auto& d : resp.devices().devices()) {
      std::cout << hex(d.device_key()) << "  " << d.fingerprint() << "  "
                << (d.device_name().empty() ? std::string("(unverified)") : d.device_name());
      if (d.this_device()) std::cout << "  (this device)";
      if (d.revoked()) std::cout << "  (removed)";
      if (d.last_seen_ms()) std::cout << "  last seen " << date_of(static_cast<std::int64_t>(d.last_seen_ms() / 1000));
      std::cout << "\n";
    }
    return 0;
  }
  if (cmd == "remove-device") {
    auto key = unhex(a.word(1, "the device key (see `gchat devices`)"));
    if (!key || key->size() != 32) usage("the device key is 64 hex characters (see `gchat devices`)");
    r.mutable_remove_device()->set_device_key(*key);
    s.wait_connected(30s);
    auto resp = s.call(r);
    // Stay while the removal is committed in each conversation.
    s.print_events(2s, 20s);
    if (s.out.json) return print(resp), 0;
    std::cout << "removed " << hex(*key).substr(0, 16) << "...: revoked, and taken out of your conversations\n";
    return 0;
  }
  if (cmd == "conversations") {
    r.mutable_list_conversations();
    auto resp = s.call(r);
    if (s.out.json) return print(resp), 0;
    for (const auto& c : resp.conversations().conversations()) show_conversation(c);
    return 0;
  }
  if (cmd == "channels") {
    r.mutable_list_channels();
    auto resp = s.call(r);
    if (s.out.json) return print(resp), 0;
    for (const auto& ch : resp.channels().channels()) {
      std::cout << hex(ch.channel_id()) << "  " << ch.agency_id();
      if (ch.level() != idv1::UNCLASSIFIED) std::cout << "  [" << level_label(ch.level()) << "]";
      std::cout << "  " << ch.title() << "  " << ch.subscribers() << " subscribed"
                << (ch.subscribed() ? "  (subscribed)" : "") << (ch.publisher() ? "  (you publish)" : "")
                << (!ch.subscribed() && !ch.may_subscribe() ? "  (not open to you)" : "") << "\n";
    }
    if (resp.channels().channels_size() == 0) std::cout << "no channels open to you\n";
    return 0;
  }
  if (cmd == "subscribe" || cmd == "unsubscribe") {
    // A channel by its id (hex) or its exact title, among those open to this person.
    const std::string name = a.word(1, "the channel");
    api::Request list;
    list.mutable_list_channels();
    std::string id;
    const auto offered = s.call(list);
    for (const auto& ch : offered.channels().channels()) {
      if (hex(ch.channel_id()) == name || ch.title() == name) id = ch.channel_id();
    }
    if (id.empty()) throw Failure{1, "no channel '" + name + "' open to you (gchat channels lists them)"};
    if (cmd == "subscribe") {
      r.mutable_subscribe()->set_channel_id(id);
    } else {
      r.mutable_unsubscribe()->set_channel_id(id);
    }
    auto resp = s.call(r, 120s);
    if (s.out.json) return print(resp), 0;
    if (resp.has_conversation()) show_conversation(resp.conversation());
    else std::cout << "unsubscribed\n";
    return 0;
  }
  if (cmd == "create") {
    auto* c = r.mutable_create_conversation();
    const std::string kind = a.one("kind", "group");
    if (kind != "direct" && kind != "group") usage("--kind is direct or group");
    c->set_kind(kind == "direct" ? idv1::DIRECT : idv1::GROUP);
    c->set_level(level_of(a.one("level", "unclassified")));
    c->set_title(a.one("title"));
    if (a.has("member")) {
      for (const auto& m : a.options.at("member")) *c->add_members() = user_ref(m);
    }
    if (a.has("agency")) {
      for (const auto& ag : a.options.at("agency")) c->add_allowed_agencies(ag);
    }
    auto resp = s.call(r, 120s);
    if (s.out.json) return print(resp), 0;
    show_conversation(resp.conversation());
    return 0;
  }
  if (cmd == "add" || cmd == "remove") {
    const std::string conv = s.conversation(a.word(1, "the conversation"));
    if (!a.has("member")) usage("name people with --member AGENCY/USER");
    auto* who_list = cmd == "add" ? r.mutable_add_members()->mutable_members() : r.mutable_remove_members()->mutable_members();
    if (cmd == "add") {
      r.mutable_add_members()->set_conversation_id(conv);
    } else {
      r.mutable_remove_members()->set_conversation_id(conv);
    }
    for (const auto& m : a.options.at("member")) *who_list->Add() = user_ref(m);
    auto resp = s.call(r, 120s);
    if (s.out.json) return print(resp), 0;
    show_conversation(resp.conversation());
    return 0;
  }
  if (cmd == "change") {
    // What is not named stays as it is.
    const api::Conversation now = s.conversation_info(a.word(1, "the conversation"));
    auto* c = r.mutable_change_conversation();
    c->set_conversation_id(now.conversation_id());
    c->set_level(a.has("level") ? level_of(a.one("level")) : now.level());
    c->set_title(a.one("title"));
    if (a.has("agency")) {
      for (const auto& ag : a.options.at("agency")) c->add_allowed_agencies(ag);
    } else {
      c->mutable_allowed_agencies()->CopyFrom(now.allowed_agencies());
    }
    auto resp = s.call(r, 120s);
    if (s.out.json) return print(resp), 0;
    show_conversation(resp.conversation());
    return 0;
  }
  if (cmd == "leave") {
    r.mutable_leave()->set_conversation_id(s.conversation(a.word(1, "the conversation")));
    s.call(r);
    std::cout << "left\n";
    return 0;
  }
  if (cmd == "send" || cmd == "forward" || cmd == "read") {
    api::Response resp;
    if (cmd == "send") {
      r.mutable_send_text()->set_conversation_id(s.conversation(a.word(1, "the conversation")));
      r.mutable_send_text()->set_text(a.word(2, "the text"));
      if (a.has("reply-to")) {
        auto id = unhex(a.one("reply-to"));
        if (!id) usage("--reply-to takes a message id (hex)");
        r.mutable_send_text()->set_reply_to(*id);
      }
      resp = s.call(r);
    } else if (cmd == "forward") {
      auto id = unhex(a.word(1, "the message id"));
      if (!id) usage("the message id is hex");
      r.mutable_forward()->set_message_id(*id);
      r.mutable_forward()->set_to_conversation_id(s.conversation(a.word(2, "the conversation")));
      resp = s.call(r);
    } else {
      r.mutable_mark_read()->set_conversation_id(s.conversation(a.word(1, "the conversation")));
      resp = s.call(r);
    }
    if (s.out.json) print(resp);
    if (!s.drain(std::chrono::seconds(std::stoul(a.one("wait", "30"))))) {
      throw Failure{3, "queued: no relay reachable now; it goes out the next time gchat runs"};
    }
    if (resp.has_message()) {
      // Refused by the relay (e.g. this device was removed from the conversation): say so.
      api::Request h;
      h.mutable_history()->set_conversation_id(resp.message().conversation_id());
      h.mutable_history()->set_limit(100);
      const auto recent = s.call(h);
      for (const auto& m : recent.messages().messages()) {
        if (m.message_id() == resp.message().message_id() && m.status() == api::FAILED) {
          throw Failure{1, "not sent: the relay refused the message (is this device still in the conversation?)"};
        }
      }
      if (!s.out.json) std::cout << "sent #" << hex(resp.message().message_id()) << "\n";
    }
    return 0;
  }
  if (cmd == "history") {
    r.mutable_history()->set_conversation_id(s.conversation(a.word(1, "the conversation")));
    r.mutable_history()->set_limit(static_cast<std::uint32_t>(std::stoul(a.one("limit", "50"))));
    auto resp = s.call(r);
    if (s.out.json) return print(resp), 0;
    for (const auto& m : resp.messages().messages()) show_message(m);
    return 0;
  }
  if (cmd == "search") {
    r.mutable_search()->set_query(a.word(1, "the words to find"));
    if (a.has("in")) r.mutable_search()->set_conversation_id(s.conversation(a.one("in")));
    auto resp = s.call(r);
    if (s.out.json) return print(resp), 0;
    for (const auto& m : resp.messages().messages()) show_message(m);
    if (resp.messages().messages_size() == 0) std::cout << "nothing found\n";
    return 0;
  }
  if (cmd == "sync") {
    s.wait_connected(30s);
    s.print_events(1500ms, std::chrono::seconds(std::stoul(a.one("seconds", "10"))));
    if (!s.drain(15s)) throw Failure{3, "some messages are still queued"};
    return 0;
  }
  if (cmd == "chat") {
    chat(s, s.conversation(a.word(1, "the conversation")));
    return 0;
  }
  usage("unknown command '" + cmd + "'");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const Failure& f) {
    std::cerr << "gchat: " << f.message << "\n";
    if (f.code == 2) std::cerr << "(gchat --help lists the commands)\n";
    return f.code;
  } catch (const std::exception& e) {
    std::cerr << "gchat: " << e.what() << "\n";
    return 1;
  }
}
