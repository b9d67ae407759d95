// Forward a message: every conversation is listed; those of a lower classification are shown with
// the reason they cannot receive it (write-down is refused), not hidden.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import GChat

Dialog {
    id: dialog
    objectName: "forwardDialog"
    property string messageId: ""
    anchors.centerIn: parent
    width: Math.min(parent.width - 40, 520)
    height: Math.min(parent.height - 40, 520)
    modal: true
    title: qsTr("Forward to…")
    footer: DialogButtonBox {
        Button { text: qsTr("Cancel"); DialogButtonBox.buttonRole: DialogButtonBox.RejectRole }
    }
    function openFor(id) { messageId = id; open(); targets.forceActiveFocus() }

    ColumnLayout {
    anchors.fill: parent
    Label {
        id: why
        objectName: "forwardWhy"
        visible: text !== ""
        Layout.fillWidth: true
        wrapMode: Text.Wrap
        color: Theme.danger
        text: ""
    }
    ListView {
        id: targets
        objectName: "forwardTargets"
        Layout.fillWidth: true
        Layout.fillHeight: true
        clip: true
        model: Backend.conversations
        keyNavigationEnabled: true
        delegate: ItemDelegate {
            id: target
            objectName: "forward-" + model.title
            required property var model
            required property int index
            readonly property string problem: dialog.opened ? Backend.forwardProblem(model.conversationId) : ""
            width: ListView.view.width
            enabled: model.conversationId !== Backend.currentId
            onClicked: {
                if (problem !== "") { why.text = problem; return }
                Backend.forward(dialog.messageId, model.conversationId)
                dialog.close()
            }
            contentItem: ColumnLayout {
                RowLayout {
                    Label { text: target.model.title; Layout.fillWidth: true; elide: Text.ElideRight; opacity: target.problem === "" ? 1 : 0.55 }
                    LevelBadge { level: target.model.level; showUnclassified: false }
                }
                Label {
                    visible: target.problem !== ""
                    text: "⛔ " + qsTr("Lower classification: cannot receive this message")
                    color: Theme.danger
                    font.pointSize: Theme.fontSize * 0.85
                }
            }
        }
    }
    }
    onOpened: why.text = ""
}
