#pragma once
// What the UI test uses to drive the app as a person would: the App and the world it runs against
// (from desktop_app.sh, in the environment), items found by objectName, clicks, typed keys,
// screenshots, and the command-line tools of the other people in the world.

#include <QtQuickTest/quicktest.h>

#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QQuickItem>
#include <QQuickWindow>
#include <QtTest>
#include <functional>
#include <memory>

#include "gchat/desktop/app.hpp"

namespace gchat::desktop::testing {

constexpr int kNetworkMs = 30000;

inline QString env(const char* name) {
  const QString v = qEnvironmentVariable(name);
  if (v.isEmpty()) qFatal("missing environment variable %s (run through desktop_app.sh)", name);
  return v;
}

class UiDriver : public QObject {
 protected:
  std::unique_ptr<App> app_;
  QString world_, shots_, cli_, admin_;
  int shot_ = 0;

  QQuickWindow* window() { return app_->window(); }
  gchat::desktop::Backend& backend() { return app_->backend(); }

  // Visible items by objectName, in the visual tree (pages, list delegates, popups in the overlay).
  QQuickItem* find_in(QQuickItem* root, const QString& name) {
    if (!root) return nullptr;
    if (root->objectName() == name && root->isVisible()) return root;
    for (QQuickItem* child : root->childItems()) {
      if (QQuickItem* found = find_in(child, name)) return found;
    }
    return nullptr;
  }
  QQuickItem* item(const QString& name) { return find_in(window()->contentItem(), name); }
  QObject* object(const QString& name) { return window()->findChild<QObject*>(name); }
  // Whether a popup (dialog) of that name is open.
  bool opened(const QString& name) {
    QObject* popup = object(name);
    return popup && popup->property("opened").toBool();
  }

  void click(const QString& name) {
    // Where an item is once laid out: a popup that has just opened places its items on the next polish.
    QVERIFY(QQuickTest::qWaitForPolish(window()));
    QQuickItem* target = item(name);
    QVERIFY2(target, qPrintable("no visible item " + name));
    QVERIFY2(target->isEnabled(), qPrintable(name + " is disabled"));
    const QPointF centre = target->mapToScene(QPointF(target->width() / 2, target->height() / 2));
    QTest::mouseClick(window(), Qt::LeftButton, Qt::NoModifier, centre.toPoint());
  }
  void type_into(const QString& name, const QString& text) {
    QQuickItem* target = item(name);
    QVERIFY2(target, qPrintable("no visible item " + name));
    target->forceActiveFocus();
    QTRY_VERIFY(target->hasActiveFocus());
    type_text(text);
  }
  // Characters as a keyboard layout sends them (Thai included): one key event per character, with
  // its text, delivered to the item with active focus.
  void type_text(const QString& text) {
    for (const QChar c : text) {
      QKeyEvent press(QEvent::KeyPress, 0, Qt::NoModifier, QString(c));
      QKeyEvent release(QEvent::KeyRelease, 0, Qt::NoModifier, QString(c));
      QCoreApplication::sendEvent(window(), &press);
      QCoreApplication::sendEvent(window(), &release);
    }
  }
  void screenshot(const QString& name) {
    QTest::qWait(150);  // let bindings and the scene settle
    const QImage image = window()->grabWindow();
    QVERIFY(!image.isNull());
    const QString path = QStringLiteral("%1/%2-%3.png").arg(shots_).arg(++shot_, 2, 10, QChar('0')).arg(name);
    QVERIFY2(image.save(path), qPrintable("cannot save " + path));
  }
  // A command-line tool in the world folder; its standard output.
  QString run(const QString& program, const QStringList& args, int timeout_ms = 60000) {
    QProcess p;
    p.setWorkingDirectory(world_);
    p.setProcessChannelMode(QProcess::SeparateChannels);
    p.start(program, args);
    if (!p.waitForFinished(timeout_ms) || p.exitCode() != 0) {
      qWarning().noquote() << program << args.join(' ') << "failed:" << p.readAllStandardError();
      return QStringLiteral("<failed>");
    }
    return QString::fromUtf8(p.readAllStandardOutput());
  }
  QString gchat(const QStringList& args) { return run(cli_, args); }
  // Tries `check` until it holds or `ms` of real time have passed (QTRY counts only its own waits,
  // so a check that runs tools for seconds each time would not be bounded by it).
  bool eventually(const std::function<bool()>& check, int ms) {
    QElapsedTimer clock;
    clock.start();
    while (!check()) {
      if (clock.elapsed() > ms) return false;
      QTest::qWait(500);
    }
    return true;
  }
  // Everything a command wrote (standard error first), however it ended; `ok` says whether it
  // exited with 0 in time.
  QString output_of(const QString& program, const QStringList& args, bool* ok = nullptr,
                    int timeout_ms = 60000) {
    QProcess p;
    p.setWorkingDirectory(world_);
    p.start(program, args);
    const bool finished = p.waitForFinished(timeout_ms);
    if (ok) *ok = finished && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    return QString::fromUtf8(p.readAllStandardError() + p.readAllStandardOutput()) +
           (finished ? QString() : QStringLiteral("<timed out>"));
  }
  QStringList admin_args() {
    return {"--admin-key",     "admin-moi.key",        "--admin-chain",
            "admin-moi.chain", "--passphrase-file",    "pass",
            "--port",          env("GCHAT_TEST_PORT"), "--ca",
            "tls/ca.pem"};
  }
  int messages_count() { return backend().messages()->property("count").toInt(); }
  QString last_message_text() {
    auto* m = qobject_cast<QAbstractItemModel*>(backend().messages());
    return m->index(m->rowCount() - 1, 0).data(gchat::desktop::MessageModel::TextRole).toString();
  }
  QString conversation_id(const QString& title) {
    auto* m = qobject_cast<QAbstractItemModel*>(backend().conversations());
    for (int r = 0; r < m->rowCount(); ++r) {
      if (m->index(r, 0).data(gchat::desktop::ConversationModel::TitleRole).toString() == title) {
        return m->index(r, 0).data(gchat::desktop::ConversationModel::IdRole).toString();
      }
    }
    return {};
  }
};

}  // namespace gchat::desktop::testing
