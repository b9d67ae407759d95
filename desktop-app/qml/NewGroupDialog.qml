// A new group: its name and classification level, then members found in the directory. Each person
// shows their clearance; people not cleared for the chosen level are shown greyed with the reason
// and cannot be picked (raising the level unpicks them).
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import GChat

Dialog {
    id: dialog
    objectName: "newGroupDialog"
    anchors.centerIn: parent
    width: Math.min(parent.width - 40, 640)
    height: Math.min(parent.height - 40, 640)
    modal: true
    title: qsTr("New group")
    function openFresh() {
        name.text = ""
        query.text = ""
        level.currentIndex = 0
        otherAgencies.checked = false
        Backend.people.clearSelection()
        Backend.findPeople("")
        open()
        name.forceActiveFocus()
    }
    footer: DialogButtonBox {
        Button {
            objectName: "createGroupButton"
            text: qsTr("Create")
            highlighted: true
            enabled: name.text.trim() !== "" && Backend.people.selectedCount > 0
            DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
        }
        Button { text: qsTr("Cancel"); DialogButtonBox.buttonRole: DialogButtonBox.RejectRole }
    }
    onAccepted: Backend.createGroup(name.text, level.currentIndex, otherAgencies.checked)

    ColumnLayout {
        anchors.fill: parent
        spacing: 8
        TextField {
            id: name
            objectName: "groupNameField"
            Layout.fillWidth: true
            placeholderText: qsTr("Group name")
        }
        RowLayout {
            Layout.fillWidth: true
            Label { text: qsTr("Classification") }
            ComboBox {
                id: level
                objectName: "levelCombo"
                Layout.fillWidth: true
                // Up to the creator's own clearance.
                model: [0, 1, 2, 3].filter(l => l <= Backend.selfLevel).map(l => Backend.levelLabel(l))
                onCurrentIndexChanged: Backend.people.level = currentIndex
                Accessible.name: qsTr("Classification")
            }
        }
        ClassificationBanner { Layout.fillWidth: true; level: level.currentIndex; compact: true }
        CheckBox {
            id: otherAgencies
            objectName: "otherAgencies"
            text: qsTr("Open to people of other agencies")
        }
        TextField {
            id: query
            objectName: "peopleQuery"
            Layout.fillWidth: true
            placeholderText: qsTr("Find people by name or user id")
            onTextChanged: findTimer.restart()
            Keys.onDownPressed: people.forceActiveFocus()
        }
        Timer { id: findTimer; interval: 250; onTriggered: Backend.findPeople(query.text) }
        Label {
            visible: query.text.trim().length > 0 && query.text.trim().length < 3
            color: Theme.muted
            text: qsTr("Type at least 3 letters of a name or user id")
        }
        Label {
            visible: Backend.people.selectedCount > 0
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            text: qsTr("Members: %1").arg(Backend.people.selectedNames)
        }
        ListView {
            id: people
            objectName: "peopleList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: Backend.people
            keyNavigationEnabled: true
            Keys.onSpacePressed: Backend.people.toggle(currentIndex)
            delegate: ItemDelegate {
                id: person
                objectName: "person-" + model.userId
                required property var model
                required property int index
                width: ListView.view.width
                enabled: model.cleared && !model.self
                onClicked: Backend.people.toggle(index)
                contentItem: RowLayout {
                    CheckBox {
                        checked: person.model.selected
                        enabled: person.enabled
                        onClicked: Backend.people.toggle(person.index)
                    }
                    ColumnLayout {
                        Layout.fillWidth: true
                        spacing: 0
                        Label { Layout.fillWidth: true; text: person.model.name + (person.model.self ? " " + qsTr("(you)") : ""); font.bold: true }
                        Label { Layout.fillWidth: true; text: person.model.agency + " · " + person.model.agencyId + "/" + person.model.userId; color: Theme.muted; font.pointSize: Theme.fontSize * 0.85 }
                        Label {
                            Layout.fillWidth: true
                            visible: !person.model.cleared
                            text: "⛔ " + qsTr("Not cleared for %1").arg(Backend.levelLabel(Backend.people.level))
                            color: Theme.danger
                            font.pointSize: Theme.fontSize * 0.85
                        }
                    }
                    LevelBadge { level: person.model.clearance }
                }
            }
        }
    }
}
