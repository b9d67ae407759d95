#pragma once
// The list models the QML views show: conversations, the messages of one conversation (or search
// results), people from the directory, channels. They hold the client core's protobuf values as
// they came and turn them into text for the current language and calendar (Presentation) when a
// view asks. All live on the UI thread.

#include <QAbstractListModel>
#include <QByteArray>
#include <QCoreApplication>
#include <QSet>
#include <vector>

#include "gchat/client/v1/client.pb.h"
#include "gchat/desktop/format.hpp"

namespace gchat::desktop {

namespace api = ::gchat::client::v1;

// How values are shown now; changed by Settings, read by every model.
struct Presentation {
  Q_DECLARE_TR_FUNCTIONS(Presentation)

 public:
  Language language = Language::thai;
  Calendar calendar = Calendar::buddhist;
  QString self_agency, self_user;

  QString name(const api::Person& p) const;
  QString agency(const api::Person& p) const;
  QString time(std::int64_t ms) const;
  QString full_time(std::int64_t ms) const;
  bool is_self(const api::Person& p) const;
  // The line a notice (a change of the conversation itself) shows in the history and as the last
  // message, e.g. "ลดชั้นความลับ: ลับมาก → ทั่วไป โดย สมชาย"; empty for other messages.
  QString notice(const api::Message& m) const;
  // A message as one line: its text, or its notice.
  QString preview(const api::Message& m) const;
};

QByteArray bytes_of(const std::string& s);
std::string string_of(const QByteArray& b);
// Every role of one row of a list model, by the role's name (for views that show one row at a time).
QVariantMap row_as_map(const QAbstractListModel& model, int row);

class ConversationModel : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(int count READ rowCount NOTIFY countChanged)
  Q_PROPERTY(int totalUnread READ total_unread NOTIFY countChanged)

 public:
  enum Role {
    IdRole = Qt::UserRole + 1, TitleRole, KindRole, LevelRole, LevelLabelRole, LevelColorRole, UnreadRole,
    LastTextRole, LastSenderRole, LastTimeRole, CanPostRole, LeftRole, MembersRole
  };
  explicit ConversationModel(const Presentation* p, QObject* parent = nullptr) : QAbstractListModel(parent), p_(p) {}

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

  void reset(const api::Conversations& list);
  void upsert(const api::Conversation& c);
  // A new message: moves its conversation to the top; counts it unread unless `read`.
  void on_message(const api::Message& m, bool read);
  void clear_unread(const QByteArray& id);
  const api::Conversation* find(const QByteArray& id) const;
  QString title_of(const api::Conversation& c) const;
  void refresh_texts();  // language or calendar changed
  int total_unread() const;

  Q_INVOKABLE int rowOf(const QString& id_hex) const;
  Q_INVOKABLE QString idAt(int row) const;

 signals:
  void countChanged();

 private:
  void sort_by_recency();
  const Presentation* p_;
  std::vector<api::Conversation> rows_;
};

class MessageModel : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(int count READ rowCount NOTIFY countChanged)
  Q_PROPERTY(bool more READ more NOTIFY countChanged)

 public:
  enum Role {
    IdRole = Qt::UserRole + 1, TextRole, SenderNameRole, SenderAgencyRole, SenderLevelRole, SenderLevelLabelRole,
    SenderUserRole, DeviceNameRole, DeviceFingerprintRole, TimeRole, FullTimeRole, StatusRole, OutgoingRole,
    ReplyTextRole, ReplySenderRole, ForwardedRole, ForwardedFromRole, ForwardedAgencyRole, ForwardedTimeRole,
    ForwardedLevelRole, ConversationIdRole, ConversationTitleRole, NoticeRole, DeclassifiedRole, NoticeLevelRole
  };
  MessageModel(const Presentation* p, const ConversationModel* conversations, QObject* parent = nullptr)
      : QAbstractListModel(parent), p_(p), conversations_(conversations) {}

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

  void reset(const QByteArray& conversation, const api::Messages& messages);
  void prepend(const api::Messages& older);
  // Appends a message of this model's conversation (ignored otherwise); replaces one with the same id.
  void add(const api::Message& m);
  void set_status(const api::StatusChanged& s);
  void clear();
  void refresh_texts();
  const QByteArray& conversation() const { return conversation_; }
  bool more() const { return more_; }
  const api::Message* find(const QByteArray& message_id) const;

  Q_INVOKABLE QString textOf(const QString& message_id_hex) const;
  Q_INVOKABLE QString senderOf(const QString& message_id_hex) const;

 signals:
  void countChanged();

 private:
  int row_of(const std::string& message_id) const;
  const Presentation* p_;
  const ConversationModel* conversations_;
  QByteArray conversation_;
  bool more_ = false;
  std::vector<api::Message> rows_;
};

// People found in the directory, with whether each is cleared for the chosen level and picked.
class PeopleModel : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(int count READ rowCount NOTIFY countChanged)
  Q_PROPERTY(int selectedCount READ selected_count NOTIFY selectionChanged)
  Q_PROPERTY(int level READ level WRITE set_level NOTIFY levelChanged)
  Q_PROPERTY(QString selectedNames READ selectedNames NOTIFY selectionChanged)

 public:
  enum Role {
    KeyRole = Qt::UserRole + 1, NameRole, UserIdRole, AgencyIdRole, AgencyRole, ClearanceRole, ClearanceLabelRole,
    ClearedRole, SelectedRole, SelfRole, DevicesRole, DeviceKeysRole
  };
  explicit PeopleModel(const Presentation* p, QObject* parent = nullptr) : QAbstractListModel(parent), p_(p) {}

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

  void reset(const api::People& people);
  void refresh_texts();
  int level() const { return level_; }
  void set_level(int level);
  int selected_count() const;
  std::vector<api::Person> selected_people() const;

  // Picks or unpicks a person; refuses (returns false) one not cleared for the level, and oneself.
  Q_INVOKABLE bool toggle(int row);
  Q_INVOKABLE void clearSelection();
  QString selectedNames() const;
  // Every role of one row by its name (for views that show one person at a time).
  Q_INVOKABLE QVariantMap get(int row) const;

 signals:
  void countChanged();
  void selectionChanged();
  void levelChanged();

 private:
  bool cleared(const api::Person& p) const { return p.clearance() >= level_; }
  static QString key_of(const api::Person& p);
  const Presentation* p_;
  int level_ = 0;
  std::vector<api::DirectoryEntry> rows_;
  std::vector<api::Person> selected_;  // kept across searches
};

class ChannelModel : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(int count READ rowCount NOTIFY countChanged)

 public:
  enum Role {
    IdRole = Qt::UserRole + 1, TitleRole, AgencyRole, LevelRole, LevelLabelRole, LevelColorRole, SubscribedRole,
    MaySubscribeRole, PublisherRole, SubscribersRole
  };
  explicit ChannelModel(QObject* parent = nullptr) : QAbstractListModel(parent) {}

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

  void reset(const api::Channels& channels);
  void set_subscribed(const QByteArray& id, bool subscribed);

 signals:
  void countChanged();

 private:
  std::vector<api::Channel> rows_;
};

}  // namespace gchat::desktop
