// A change of the conversation itself (classification, title, agencies) in the history: a centred
// line, not a bubble from the admin who made it. A declassification is impossible to miss: a bar in
// the new level's colour, bold, with a warning sign; any other change is a quiet grey line.
import QtQuick
import QtQuick.Controls
import GChat

Item {
    id: line
    property string text: ""
    property string time: ""
    property string fullTime: ""
    property bool declassified: false
    property int level: 0
    implicitHeight: pill.height + 12

    Rectangle {
        id: pill
        objectName: "noticeLine"
        anchors.centerIn: parent
        width: Math.min(line.width - 48, label.implicitWidth + 28)
        height: label.height + (line.declassified ? 14 : 8)
        radius: line.declassified ? 8 : height / 2
        color: line.declassified ? Backend.levelColor(line.level) : "#dfe6eb"
        border.color: line.declassified ? Qt.darker(color, 1.4) : "transparent"
        border.width: line.declassified ? 2 : 0
        Accessible.role: line.declassified ? Accessible.AlertMessage : Accessible.StaticText
        Accessible.name: label.text

        Label {
            id: label
            objectName: "noticeText"
            anchors.centerIn: parent
            width: Math.min(implicitWidth, pill.width - 28)
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.Wrap
            text: (line.declassified ? "⚠ " : "") + line.text + "  ·  " + line.time
            color: line.declassified ? "white" : Theme.muted
            font.bold: line.declassified
            font.pointSize: Theme.fontSize * (line.declassified ? 1.0 : 0.9)
            ToolTip.visible: noticeArea.containsMouse
            ToolTip.text: line.fullTime
            MouseArea { id: noticeArea; anchors.fill: parent; hoverEnabled: true }
        }
    }
}
