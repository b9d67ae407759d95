#include "gchat/desktop/backend.hpp"

#include "backend_detail.hpp"

#include <QCoreApplication>
#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusPendingCall>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

namespace gchat::desktop {

using namespace detail;  // NOLINT: this file's own helpers

Backend::Backend(StartOptions options, QObject* parent)
    : QObject(parent),
      options_(std::move(options)),
      settings_(kFormat, QSettings::UserScope, QStringLiteral("G-Chat"), QStringLiteral("gchat-desktop")) {
  // The command line wins over what was saved (so that the README's demo command always works).
  if (!options_.relay.isEmpty()) settings_.setValue("relay", options_.relay);
  if (!options_.ca_file.isEmpty()) settings_.setValue("ca_file", QFileInfo(options_.ca_file).absoluteFilePath());
  if (!options_.root_key_hex.isEmpty()) settings_.setValue("root_key", options_.root_key_hex);
  if (!options_.device_name.isEmpty()) settings_.setValue("device_name", options_.device_name);
  if (!options_.data_dir.isEmpty()) settings_.setValue("data_dir", QFileInfo(options_.data_dir).absoluteFilePath());
  if (settings_.value("device_name").toString().isEmpty()) settings_.setValue("device_name", QStringLiteral("desktop"));
  if (settings_.value("data_dir").toString().isEmpty()) {
    settings_.setValue("data_dir", QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/store");
  }
  presentation_.language = settings_.value("language", "th").toString() == "en" ? Language::english : Language::thai;
  presentation_.calendar =
      settings_.value("calendar", "buddhist").toString() == "gregorian" ? Calendar::gregorian : Calendar::buddhist;
  font_scale_ = std::clamp(settings_.value("font_scale", 1.0).toReal(), 0.8, 2.0);
  preview_classified_ = settings_.value("preview_classified", false).toBool();
  connection_.set_state(api::ConnectionState::OFFLINE);

  enrol_retry_.setInterval(kEnrolRetryMs);
  enrol_retry_.setSingleShot(true);
  connect(&enrol_retry_, &QTimer::timeout, this, [this] { enrol(enrol_code_); });
  start_identity();

  const bool configured = !relay().isEmpty() && !ca_file().isEmpty() && root_key().size() == 64;
  stage_ = configured ? QStringLiteral("unlock") : QStringLiteral("setup");
}

Backend::~Backend() {
  // Stop the core's thread first: nothing may call back into this object once it is going away.
  client_.reset();
}

bool Backend::store_exists() const {
  const QDir dir(settings_.value("data_dir").toString());
  return dir.exists() && !dir.isEmpty();
}

// ---------------------------------------------------------------------------------------------
// Setup, unlock, enrolment.
// ---------------------------------------------------------------------------------------------
bool Backend::configure(const QString& relay, const QString& ca_file, const QString& root_key_hex,
                        const QString& device_name) {
  const QString key = root_key_hex.trimmed().toLower();
  if (!relay.contains(':')) {
    set_error_text(tr("The server address must be host:port, for example 127.0.0.1:8443."));
    return false;
  }
  if (!QFile::exists(ca_file)) {
    set_error_text(tr("The certificate authority file does not exist: %1").arg(ca_file));
    return false;
  }
  if (key.size() != 64 || !is_hex(key)) {
    set_error_text(tr("The government root key is 64 hexadecimal digits (from your administrator)."));
    return false;
  }
  settings_.setValue("relay", relay.trimmed());
  settings_.setValue("ca_file", QFileInfo(ca_file).absoluteFilePath());
  settings_.setValue("root_key", key);
  if (!device_name.trimmed().isEmpty()) settings_.setValue("device_name", device_name.trimmed());
  emit configChanged();
  clearError();
  set_stage(QStringLiteral("unlock"));
  return true;
}

void Backend::start_client() {
  if (client_) return;
  api::Config config;
  config.set_data_dir(settings_.value("data_dir").toString().toStdString());
  for (const QString& e : relay().split(',', Qt::SkipEmptyParts)) config.add_endpoints(e.trimmed().toStdString());
  config.set_ca_file(ca_file().toStdString());
  config.set_root_key(hex_to_string(root_key()));
  config.set_device_name(device_name().toStdString());
  config.set_client_name("gchat-desktop/" + QCoreApplication::applicationVersion().toStdString());
  if (!options_.kdf.isEmpty()) config.set_kdf(options_.kdf.toStdString());
  QDir().mkpath(QString::fromStdString(config.data_dir()));
  client_ = std::make_unique<client::Client>(std::move(config));
  // Outputs arrive on the core's thread; each is handed to the UI thread's event loop.
  QPointer<Backend> self(this);
  client_->set_callback([self](const api::Output& output) {
    if (!self) return;
    QMetaObject::invokeMethod(
        self.data(), [self, output] { if (self) self->on_output(output); }, Qt::QueuedConnection);
  });
}

void Backend::unlock(const QString& passphrase) {
  if (passphrase.size() < 8) {
    set_error_text(tr("The passphrase must have at least 8 characters."));
    return;
  }
  start_client();
  api::Request r;
  std::string pass = passphrase.toStdString();
  r.mutable_open()->set_passphrase(pass);
  std::fill(pass.begin(), pass.end(), '\0');
  clearError();
  submit(std::move(r), [this](const api::Response& resp) {
    if (resp.has_error()) return set_error(resp.error());
    after_unlock(resp.opened());
  });
}

void Backend::after_unlock(const api::Opened& opened) {
  emit stageChanged();  // the store exists now
  if (!opened.enrolled()) return set_stage(QStringLiteral("enrol"));
  set_self(opened.self());
  enter_main();
}

void Backend::enrol(const QString& code) {
  enrol_retry_.stop();
  if (code.trimmed().isEmpty()) {
    set_error_text(tr("Type the enrolment code your administrator gave you."));
    return;
  }
  enrol_code_ = code.trimmed();
  api::Request r;
  r.mutable_enrol()->set_code(enrol_code_.toStdString());
  r.mutable_enrol()->set_wait_ms(0);
  submit(std::move(r), [this](const api::Response& resp) {
    if (resp.has_error()) {
      if (resp.error().code() == api::PENDING) {
        // Redeemed: the administrator still has to sign. Ask again by ourselves.
        clearError();
        enrol_retry_.start();
        emit busyChanged();
        return;
      }
      emit busyChanged();
      return set_error(resp.error());
    }
    enrol_code_.clear();
    set_self(resp.enrolled());
    emit busyChanged();
    enter_main();
  });
}

void Backend::cancelEnrol() {
  enrol_retry_.stop();
  emit busyChanged();
}

// Who this device belongs to: shown in the header, and what "self" means in the models.
void Backend::set_self(const api::Sender& self) {
  self_ = self;
  presentation_.self_agency = QString::fromStdString(self_.person().agency_id());
  presentation_.self_user = QString::fromStdString(self_.person().user_id());
  emit selfChanged();
}

void Backend::enter_main() {
  clearError();
  set_stage(QStringLiteral("main"));
  expiry_check_.start();
  refresh_conversations();
  refresh_status();
}

void Backend::refresh_conversations() {
  api::Request r;
  r.mutable_list_conversations();
  submit(std::move(r), [this](const api::Response& resp) {
    if (resp.has_error()) return set_error(resp.error());
    conversations_.reset(resp.conversations());
    // The open conversation is read, even if this list was made before its read mark arrived.
    conversations_.clear_unread(current_);
    emit currentChanged();
  }, false);
}

void Backend::refresh_status() {
  api::Request r;
  r.mutable_status();
  submit(std::move(r), [this](const api::Response& resp) {
    if (resp.has_error()) return;
    const auto& s = resp.status();
    if (s.has_self()) set_self(s.self());
    connection_ = s.connection();
    emit connectionChanged();
    certificate_not_after_ = s.certificate_not_after();
    admin_ = s.admin();
    emit adminChanged();  // and certificateChanged
  }, false);
}

// ---------------------------------------------------------------------------------------------
// Requests and outputs.
// ---------------------------------------------------------------------------------------------
void Backend::submit(api::Request request, Handler handler, bool show_busy) {
  if (!client_) return;
  const std::uint64_t id = next_request_++;
  request.set_request_id(id);
  if (show_busy) {
    ++busy_;
    emit busyChanged();
    handler = [this, h = std::move(handler)](const api::Response& r) {
      --busy_;
      emit busyChanged();
      h(r);
    };
  }
  pending_.emplace(id, std::move(handler));
  client_->submit(std::move(request));
}

void Backend::on_output(const api::Output& output) {
  if (output.has_event()) return on_event(output.event());
  const auto& resp = output.response();
  auto it = pending_.find(resp.request_id());
  if (it == pending_.end()) return;
  Handler h = std::move(it->second);
  pending_.erase(it);
  h(resp);
}

void Backend::on_event(const api::Event& e) {
  switch (e.body_case()) {
    case api::Event::kConnection:
      connection_ = e.connection();
      emit connectionChanged();
      // Connected again, maybe with a renewed chain: its expiry and the administrator key as they are now.
      if (connection_.state() == api::ConnectionState::CONNECTED && stage_ == QStringLiteral("main")) refresh_status();
      break;
    case api::Event::kMessage: {
      const auto& m = e.message();
      const bool open_here = bytes_of(m.conversation_id()) == current_;
      conversations_.on_message(m, open_here);
      if (open_here) {
        messages_.add(m);
        mark_read();
      }
      if (!m.outgoing()) notify(m);
      emit messageArrived(QString::fromLatin1(bytes_of(m.conversation_id()).toHex()));
      break;
    }
    case api::Event::kConversation:
      conversations_.upsert(e.conversation());
      if (bytes_of(e.conversation().conversation_id()) == current_) {
        // Read, as above: this event can be made before the read mark of the notice it follows.
        conversations_.clear_unread(current_);
        emit currentChanged();
      }
      break;
    case api::Event::kMembership:
      if (e.membership().self_removed() && bytes_of(e.membership().conversation_id()) == current_) {
        closeConversation();
      }
      refresh_conversations();
      break;
    case api::Event::kStatus: messages_.set_status(e.status()); break;
    case api::Event::kProblem: set_error(e.problem()); break;
    case api::Event::kCertificate: on_certificate(e.certificate()); break;
    default: break;
  }
}

void Backend::set_stage(const QString& stage) {
  if (stage_ == stage) return;
  stage_ = stage;
  emit stageChanged();
}

QString Backend::explain(const api::Error& e) const {
  const QString detail = QString::fromStdString(e.message());
  switch (e.code()) {
    case api::WRONG_PASSPHRASE: return tr("The passphrase is not right.");
    case api::NOT_CLEARED: return tr("Someone chosen is not cleared for this classification or agency.");
    case api::WRITE_DOWN:
      return tr("A message cannot be forwarded to a conversation with a lower classification than its own.");
    case api::OFFLINE: return tr("Not connected to the server. Try again when the connection is back.");
    case api::PENDING: return tr("Waiting for your administrator to approve this device.");
    case api::NOT_PERMITTED: return tr("You are not allowed to do this here.");
    case api::STORAGE: return tr("Could not save on this computer (is the disk full?). Nothing was changed.");
    case api::CERTIFICATE: return tr("A certificate did not verify: %1").arg(detail);
    case api::NOT_FOUND: return tr("Not found.");
    case api::CONFLICT: return tr("Someone changed the group at the same moment. Please try again.");
    case api::NOT_ADMIN: return tr("No administrator key has been imported on this device.");
    case api::TIMEOUT: return tr("No answer in time; it may still complete.");
    case api::NOT_ENROLLED: return tr("This device is not enrolled yet.");
    case api::RELAY_REFUSED: return tr("The server refused: %1").arg(detail);
    case api::INVALID_ARGUMENT: return tr("Not accepted: %1").arg(detail);
    default: return tr("Something went wrong: %1").arg(detail);
  }
}

void Backend::set_error(const api::Error& e) { set_error_text(explain(e)); }

void Backend::set_error_text(const QString& text) {
  error_ = text;
  emit errorChanged();
}

void Backend::clearError() {
  if (error_.isEmpty()) return;
  error_.clear();
  emit errorChanged();
}

QString Backend::connection_text() const {
  switch (connection_.state()) {
    case api::ConnectionState::CONNECTED: return tr("Connected");
    case api::ConnectionState::CONNECTING: return tr("Connecting…");
    case api::ConnectionState::WAITING:
      return tr("No connection, retrying in %1 s").arg((connection_.retry_in_ms() + 999) / 1000);
    default: return tr("Offline");
  }
}

QString Backend::self_name() const { return presentation_.name(self_.person()); }
QString Backend::self_agency() const { return presentation_.agency(self_.person()); }

bool Backend::clearance_officer() const {
  for (int r : admin_.roles()) {
    if (r == idv1::CLEARANCE_OFFICER) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Settings and notifications.
// ---------------------------------------------------------------------------------------------
void Backend::retranslate_models() {
  conversations_.refresh_texts();
  messages_.refresh_texts();
  people_.refresh_texts();
  admin_people_.refresh_texts();
  search_results_.refresh_texts();
  devices_.refresh_texts();
  emit selfChanged();
  emit certificateChanged();
  emit currentChanged();
  emit connectionChanged();
}

void Backend::setLanguage(const QString& language) {
  const Language l = language == "en" ? Language::english : Language::thai;
  if (l == presentation_.language) return;
  presentation_.language = l;
  settings_.setValue("language", language == "en" ? "en" : "th");
  emit languageChanged();
  emit settingsChanged();
  retranslate_models();
}

void Backend::setCalendar(const QString& calendar) {
  presentation_.calendar = calendar == "gregorian" ? Calendar::gregorian : Calendar::buddhist;
  settings_.setValue("calendar", this->calendar());
  emit settingsChanged();
  retranslate_models();
}

void Backend::setFontScale(qreal scale) {
  font_scale_ = std::clamp(scale, 0.8, 2.0);
  settings_.setValue("font_scale", font_scale_);
  emit settingsChanged();
}

void Backend::setPreviewClassified(bool on) {
  preview_classified_ = on;
  settings_.setValue("preview_classified", on);
  emit settingsChanged();
}

void Backend::notify(const api::Message& m) {
  const QByteArray conv = bytes_of(m.conversation_id());
  if (conv == current_ && window_active_) return;
  const auto* c = conversations_.find(conv);
  const int level = c ? static_cast<int>(c->level()) : 3;
  // In a classified conversation the default notification says only that something arrived: no
  // title, sender or text on a screen others may see.
  if (level > 0 && !preview_classified_) {
    notification_ = tr("New message (%1)").arg(level_label(level));
  } else {
    notification_ = tr("%1 in %2: %3")
                        .arg(presentation_.name(m.sender().person()), c ? conversations_.title_of(*c) : QString(),
                             presentation_.preview(m).left(200));
  }
  emit notified();
  if (window_active_) return;
  // The desktop's notification service (freedesktop.org), when there is one; asynchronous.
  auto bus = QDBusConnection::sessionBus();
  if (!bus.isConnected()) return;
  QDBusMessage call = QDBusMessage::createMethodCall(
      QStringLiteral("org.freedesktop.Notifications"), QStringLiteral("/org/freedesktop/Notifications"),
      QStringLiteral("org.freedesktop.Notifications"), QStringLiteral("Notify"));
  call << QStringLiteral("G-Chat") << 0u << QString() << QStringLiteral("G-Chat") << notification_ << QStringList()
       << QVariantMap() << -1;
  bus.asyncCall(call);
}

}  // namespace gchat::desktop
