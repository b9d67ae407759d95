// A short note near the bottom of the window (an action done, a notification), gone after four
// seconds. Never at the top, where it would cover the person's clearance in the header or the open
// conversation's classification banner; above the composer and its banner. A plain item over the
// content, not a popup: it never takes focus or blocks shortcuts.
import QtQuick
import QtQuick.Controls
import GChat

Rectangle {
    id: toast
    objectName: "toast"
    property alias text: label.text
    parent: Overlay.overlay
    z: 1000
    visible: false
    x: (parent.width - width) / 2
    y: parent.height - height - Theme.fontSize * 10
    width: Math.min(label.implicitWidth, 520) + 20
    height: label.implicitHeight + 20
    color: "#323232"
    radius: 6
    opacity: 0.92
    Label {
        id: label
        anchors.centerIn: parent
        width: Math.min(implicitWidth, 520)
        color: "white"
        wrapMode: Text.Wrap
    }
    MouseArea { anchors.fill: parent; onClicked: toast.visible = false }
    function show(message) {
        text = message
        visible = true
        timer.restart()
    }
    Timer { id: timer; interval: 4000; onTriggered: toast.visible = false }
}
