// A group admin changes the open group's title or classification. Lowering the classification
// (declassifying) says before it is done what follows: every member sees it in the history and the
// server records it; raising it says who must be removed first.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import GChat

Dialog {
    id: dialog
    objectName: "changeConversationDialog"
    anchors.centerIn: parent
    width: Math.min(parent.width - 40, 560)
    modal: true
    title: qsTr("Change title or classification")
    function openFresh() {
        name.text = Backend.currentTitle
        level.currentIndex = Math.min(Backend.currentLevel, level.count - 1)
        open()
        name.forceActiveFocus()
    }
    readonly property bool changed: (name.text.trim() !== "" && name.text.trim() !== Backend.currentTitle)
                                    || level.currentIndex !== Backend.currentLevel
    footer: DialogButtonBox {
        Button {
            objectName: "changeConversationButton"
            text: level.currentIndex < Backend.currentLevel ? qsTr("Declassify") : qsTr("Change")
            highlighted: true
            enabled: dialog.changed
            DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
        }
        Button { text: qsTr("Cancel"); DialogButtonBox.buttonRole: DialogButtonBox.RejectRole }
    }
    onAccepted: Backend.changeConversation(name.text.trim() === Backend.currentTitle ? "" : name.text, level.currentIndex)

    ColumnLayout {
        anchors.fill: parent
        spacing: 8
        TextField {
            id: name
            objectName: "changeTitleField"
            Layout.fillWidth: true
            placeholderText: qsTr("Group name")
        }
        RowLayout {
            Layout.fillWidth: true
            Label { text: qsTr("Classification") }
            ComboBox {
                id: level
                objectName: "changeLevelCombo"
                Layout.fillWidth: true
                // Up to the admin's own clearance.
                model: [0, 1, 2, 3].filter(l => l <= Backend.selfLevel).map(l => Backend.levelLabel(l))
                Accessible.name: qsTr("Classification")
            }
        }
        ClassificationBanner { Layout.fillWidth: true; level: level.currentIndex; compact: true }
        Label {
            objectName: "declassifyWarning"
            visible: level.currentIndex < Backend.currentLevel
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: Theme.danger
            font.bold: true
            text: "⚠ " + qsTr("Declassifying from %1 to %2: messages from now on are %2 (earlier ones stay %1), every member sees in the history that you did it, and the server records it.")
                  .arg(Backend.levelLabel(Backend.currentLevel)).arg(Backend.levelLabel(level.currentIndex))
        }
        Label {
            visible: level.currentIndex > Backend.currentLevel
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: Theme.muted
            text: qsTr("Members not cleared for %1 must be removed first.").arg(Backend.levelLabel(level.currentIndex))
        }
    }
}
