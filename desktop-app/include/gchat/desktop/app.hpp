#pragma once
// App: the desktop application as main() and the UI tests start it: the Backend, the QML engine
// with the views, the translations (Thai or English, switched while running) and the Thai fonts.

#include <QObject>
#include <QQmlApplicationEngine>
#include <QTranslator>
#include <memory>

#include "gchat/desktop/backend.hpp"

class QQuickWindow;

namespace gchat::desktop {

class App : public QObject {
  Q_OBJECT

 public:
  explicit App(StartOptions options, QObject* parent = nullptr);
  // Loads the views; false (with the reason on stderr) when QML did not load.
  bool start();
  Backend& backend() { return *backend_; }
  QQmlApplicationEngine& engine() { return engine_; }
  QQuickWindow* window() const;

 private:
  void load_translation();
  std::unique_ptr<Backend> backend_;
  QTranslator translator_;
  QQmlApplicationEngine engine_;
};

// The application's name and organisation (before the QGuiApplication exists), then its look: the
// Basic controls style and the default font, Noto Sans with Noto Sans Thai (after).
void set_application_identity();
void set_application_look();

}  // namespace gchat::desktop
