pragma Singleton
import QtQuick
import GChat

// Colours and sizes shared by the views. Classification colours come from the Backend (one source).
QtObject {
    readonly property color brand: "#0b4f8a"
    readonly property color background: "#f4f6f8"
    readonly property color panel: "#ffffff"
    readonly property color line: "#dde3e8"
    readonly property color muted: "#5f6b73"
    readonly property color outgoing: "#d9f2d0"
    readonly property color incoming: "#ffffff"
    readonly property color selection: "#e3eef9"
    readonly property color danger: "#b71c1c"
    // Every text size derives from this (Settings: font size).
    readonly property real fontSize: 10.5 * Backend.fontScale
}
