#pragma once
// Backend: the one object the QML views talk to. It owns the client core (gchat::client::Client),
// turns view actions into client API requests and the core's outputs into model updates and
// properties. Requests are queued to the core's own thread and answered through a callback that
// is re-posted to the UI thread, so no call here ever waits on the network or the disk.

#include <QObject>
#include <QPointer>
#include <QSettings>
#include <QTimer>
#include <QVariantMap>
#include <functional>
#include <memory>
#include <unordered_map>

#include "gchat/client/client.hpp"
#include "gchat/desktop/identity.hpp"
#include "gchat/desktop/models.hpp"

namespace gchat::desktop {

// What main() learnt from the command line; empty fields fall back to saved settings.
struct StartOptions {
  QString relay, ca_file, root_key_hex, data_dir, device_name;
  QString kdf;  // "interactive" for tests only
};

class Backend : public QObject {
  Q_OBJECT
  // Where the app is: "setup" (no relay configured), "unlock", "enrol", "main".
  Q_PROPERTY(QString stage READ stage NOTIFY stageChanged)
  Q_PROPERTY(bool busy READ busy NOTIFY busyChanged)
  Q_PROPERTY(QString error READ error NOTIFY errorChanged)
  Q_PROPERTY(bool storeExists READ store_exists NOTIFY stageChanged)
  Q_PROPERTY(bool enrolWaiting READ enrol_waiting NOTIFY busyChanged)
  Q_PROPERTY(QString relay READ relay NOTIFY configChanged)
  Q_PROPERTY(QString caFile READ ca_file NOTIFY configChanged)
  Q_PROPERTY(QString rootKey READ root_key NOTIFY configChanged)
  Q_PROPERTY(QString deviceName READ device_name NOTIFY configChanged)
  // Connection to the relay: 1 offline, 2 connecting, 3 connected, 4 waiting to retry.
  Q_PROPERTY(int connectionState READ connection_state NOTIFY connectionChanged)
  Q_PROPERTY(QString connectionText READ connection_text NOTIFY connectionChanged)
  Q_PROPERTY(QString selfName READ self_name NOTIFY selfChanged)
  Q_PROPERTY(QString selfAgency READ self_agency NOTIFY selfChanged)
  Q_PROPERTY(int selfLevel READ self_level NOTIFY selfChanged)
  Q_PROPERTY(bool clearanceOfficer READ clearance_officer NOTIFY adminChanged)
  Q_PROPERTY(QString adminAgency READ admin_agency NOTIFY adminChanged)
  // The person's own certificate: a clearance change stays on screen until dismissed (headline, what
  // follows, the new level); a warning when this device's certificate is about to end.
  Q_PROPERTY(QString clearanceNotice READ clearance_notice NOTIFY certificateChanged)
  Q_PROPERTY(QString clearanceNoticeDetail READ clearance_notice_detail NOTIFY certificateChanged)
  Q_PROPERTY(int clearanceNoticeLevel READ clearance_notice_level NOTIFY certificateChanged)
  Q_PROPERTY(QString expiryWarning READ expiry_warning NOTIFY certificateChanged)
  Q_PROPERTY(QString expiryAdvice READ expiry_advice NOTIFY certificateChanged)
  Q_PROPERTY(bool certificateExpired READ certificate_expired NOTIFY certificateChanged)
  Q_PROPERTY(QString certificateValidUntil READ certificate_valid_until NOTIFY certificateChanged)
  // The person's devices (My devices): the list, whether it is being fetched, the last error.
  Q_PROPERTY(QObject* devices READ devices CONSTANT)
  Q_PROPERTY(bool devicesLoading READ devices_loading NOTIFY devicesChanged)
  Q_PROPERTY(QString devicesError READ devices_error NOTIFY devicesChanged)
  // The open conversation.
  Q_PROPERTY(QString currentId READ current_id NOTIFY currentChanged)
  Q_PROPERTY(QString currentTitle READ current_title NOTIFY currentChanged)
  Q_PROPERTY(int currentLevel READ current_level NOTIFY currentChanged)
  Q_PROPERTY(int currentKind READ current_kind NOTIFY currentChanged)
  Q_PROPERTY(bool currentCanPost READ current_can_post NOTIFY currentChanged)
  Q_PROPERTY(QString currentMembers READ current_members NOTIFY currentChanged)
  // Whether this person administers the open group (may change its title and classification).
  Q_PROPERTY(bool currentIsAdmin READ current_is_admin NOTIFY currentChanged)
  // Settings.
  Q_PROPERTY(QString language READ language WRITE setLanguage NOTIFY settingsChanged)
  Q_PROPERTY(QString calendar READ calendar WRITE setCalendar NOTIFY settingsChanged)
  Q_PROPERTY(qreal fontScale READ font_scale WRITE setFontScale NOTIFY settingsChanged)
  Q_PROPERTY(bool previewClassified READ preview_classified WRITE setPreviewClassified NOTIFY settingsChanged)
  // The newest notification (shown in the app; also sent to the desktop when the window is not active).
  Q_PROPERTY(QString notification READ notification NOTIFY notified)
  Q_PROPERTY(QObject* conversations READ conversations CONSTANT)
  Q_PROPERTY(QObject* messages READ messages CONSTANT)
  Q_PROPERTY(QObject* people READ people CONSTANT)
  Q_PROPERTY(QObject* adminPeople READ admin_people CONSTANT)
  Q_PROPERTY(QObject* channels READ channels CONSTANT)
  Q_PROPERTY(QObject* searchResults READ search_results CONSTANT)

 public:
  Backend(StartOptions options, QObject* parent = nullptr);
  ~Backend() override;

  QString stage() const { return stage_; }
  bool busy() const { return busy_ > 0; }
  QString error() const { return error_; }
  bool store_exists() const;
  bool enrol_waiting() const { return enrol_retry_.isActive(); }
  QString relay() const { return settings_.value("relay").toString(); }
  QString ca_file() const { return settings_.value("ca_file").toString(); }
  QString root_key() const { return settings_.value("root_key").toString(); }
  QString device_name() const { return settings_.value("device_name").toString(); }
  int connection_state() const { return connection_.state(); }
  QString connection_text() const;
  QString self_name() const;
  QString self_agency() const;
  int self_level() const { return static_cast<int>(self_.person().clearance()); }
  bool clearance_officer() const;
  QString admin_agency() const { return QString::fromStdString(admin_.agency_id()); }
  bool administrator() const { return !admin_.agency_id().empty(); }
  QString clearance_notice() const;
  QString clearance_notice_detail() const;
  int clearance_notice_level() const { return static_cast<int>(clearance_change_.person().clearance()); }
  QString expiry_warning() const { return expiry().headline; }
  QString expiry_advice() const { return expiry().advice; }
  bool certificate_expired() const;
  QString certificate_valid_until() const;
  QObject* devices() { return &devices_; }
  bool devices_loading() const { return devices_loading_; }
  QString devices_error() const { return devices_error_; }
  QString current_id() const { return QString::fromLatin1(current_.toHex()); }
  QString current_title() const;
  int current_level() const;
  int current_kind() const;
  bool current_can_post() const;
  QString current_members() const;
  bool current_is_admin() const;
  QString language() const { return presentation_.language == Language::thai ? "th" : "en"; }
  QString calendar() const { return presentation_.calendar == Calendar::buddhist ? "buddhist" : "gregorian"; }
  qreal font_scale() const { return font_scale_; }
  bool preview_classified() const { return preview_classified_; }
  QString notification() const { return notification_; }
  QObject* conversations() { return &conversations_; }
  QObject* messages() { return &messages_; }
  QObject* people() { return &people_; }
  QObject* admin_people() { return &admin_people_; }
  QObject* channels() { return &channels_; }
  QObject* search_results() { return &search_results_; }

  // Tells the backend whether the user can see the window (notifications go to the desktop if not).
  void set_window_active(bool active) { window_active_ = active; }
  // One output of the client core, on the UI thread (the core's callback posts each one here; tests
  // hand events in directly).
  void on_output(const api::Output& output);

  // Setup and unlock.
  Q_INVOKABLE bool configure(const QString& relay, const QString& ca_file, const QString& root_key_hex,
                             const QString& device_name);
  Q_INVOKABLE void unlock(const QString& passphrase);
  Q_INVOKABLE void enrol(const QString& code);
  Q_INVOKABLE void cancelEnrol();
  // Conversations.
  Q_INVOKABLE void openConversation(const QString& id_hex);
  Q_INVOKABLE void closeConversation();
  Q_INVOKABLE void loadOlder();
  Q_INVOKABLE void sendText(const QString& text, const QString& reply_to_hex);
  // Empty when `message` may be forwarded into `to`, otherwise why not (shown before the user tries).
  Q_INVOKABLE QString forwardProblem(const QString& to_id_hex) const;
  Q_INVOKABLE void forward(const QString& message_id_hex, const QString& to_id_hex);
  Q_INVOKABLE void leaveConversation();
  // An admin changes the open group's title (empty: kept) and classification; the agencies it admits
  // stay. Every member then sees the change in the history.
  Q_INVOKABLE void changeConversation(const QString& title, int level);
  // New group: the people model's level and selection.
  Q_INVOKABLE void findPeople(const QString& query);
  Q_INVOKABLE void createGroup(const QString& title, int level, bool other_agencies);
  Q_INVOKABLE void createDirect(int people_row);
  // Channels.
  Q_INVOKABLE void refreshChannels();
  Q_INVOKABLE void subscribe(const QString& channel_id_hex, bool subscribe);
  // Search.
  Q_INVOKABLE void search(const QString& query);
  // Clearance officers.
  Q_INVOKABLE void importAdminKey(const QString& key_path, const QString& passphrase, const QString& chain_path);
  Q_INVOKABLE void adminFind(const QString& query);
  Q_INVOKABLE void setClearance(const QString& agency_user, int level);
  Q_INVOKABLE void revokeDevice(const QString& device_key_hex);
  // The person's own certificate and devices.
  Q_INVOKABLE void dismissClearanceNotice();
  Q_INVOKABLE void refreshDevices();
  // Revokes another device of this person and takes it out of every conversation (never this one).
  Q_INVOKABLE void removeDevice(const QString& device_key_hex);
  // Approves a new device of this person (its key, from `gchat link request` on it) from the device
  // that enrolled; linkApproved carries the token to complete the link there.
  Q_INVOKABLE void approveLink(const QString& device_key_hex, const QString& device_name);
  // Settings.
  Q_INVOKABLE void setLanguage(const QString& language);
  Q_INVOKABLE void setCalendar(const QString& calendar);
  Q_INVOKABLE void setFontScale(qreal scale);
  Q_INVOKABLE void setPreviewClassified(bool on);
  Q_INVOKABLE void clearError();
  // Classification, for every view: "ลับมาก / SECRET", its colour, its Thai word.
  Q_INVOKABLE QString levelLabel(int level) const { return level_label(level); }
  Q_INVOKABLE QColor levelColor(int level) const { return level_color(level); }
  Q_INVOKABLE QString levelThai(int level) const { return level_thai(level); }

 signals:
  void stageChanged();
  void busyChanged();
  void errorChanged();
  void configChanged();
  void connectionChanged();
  void selfChanged();
  void adminChanged();
  void certificateChanged();
  void devicesChanged();
  void linkApproved(const QString& token_hex);
  void currentChanged();
  void settingsChanged();
  void languageChanged();  // the App loads the translation
  void notified();
  // Results of actions, for the views to react (close a dialog, show a note).
  void groupCreated(const QString& id_hex);
  void done(const QString& what);  // a translated sentence: "Clearance changed", ...
  void messageArrived(const QString& conversation_id_hex);

 private:
  using Handler = std::function<void(const api::Response&)>;
  void start_client();
  void submit(api::Request request, Handler handler, bool show_busy = true);
  void on_event(const api::Event& event);
  void start_identity();
  ExpiryWarning expiry() const;
  void on_certificate(const api::CertificateChanged& changed);
  void set_stage(const QString& stage);
  void set_error(const api::Error& e);
  void set_error_text(const QString& text);
  void after_unlock(const api::Opened& opened);
  void set_self(const api::Sender& self);
  void enter_main();
  void refresh_conversations();
  void refresh_status();
  void mark_read();
  void notify(const api::Message& m);
  void retranslate_models();
  QString explain(const api::Error& e) const;

  StartOptions options_;
  QSettings settings_;
  std::unique_ptr<client::Client> client_;
  std::unordered_map<std::uint64_t, Handler> pending_;
  std::uint64_t next_request_ = 1;
  int busy_ = 0;
  QString stage_ = QStringLiteral("setup");
  QString error_;
  QString enrol_code_;
  QTimer enrol_retry_;
  api::ConnectionState connection_;
  api::Sender self_;
  api::AdminIdentity admin_;
  api::CertificateChanged clearance_change_;  // shown while set (clearance_changed), until dismissed
  std::int64_t certificate_not_after_ = 0;    // Unix seconds; 0 unknown
  QTimer expiry_check_;                       // days left change while the app runs
  bool devices_loading_ = false;
  QString devices_error_;
  Presentation presentation_;
  qreal font_scale_ = 1.0;
  bool preview_classified_ = false;
  bool window_active_ = true;
  QString notification_;
  QByteArray current_;
  ConversationModel conversations_{&presentation_};
  MessageModel messages_{&presentation_, &conversations_};
  PeopleModel people_{&presentation_};
  PeopleModel admin_people_{&presentation_};
  ChannelModel channels_;
  MessageModel search_results_{&presentation_, &conversations_};
  DeviceModel devices_{&presentation_};
};

}  // namespace gchat::desktop
