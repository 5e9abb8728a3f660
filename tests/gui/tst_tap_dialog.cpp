// SPDX-License-Identifier: Apache-2.0
#include "console_settings.h"
#include "named_child.h"
#include "tap_dialog.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTest>

using podtap::gui::ConsoleSettings;
using podtap::gui::TapDialog;
using podtap::gui::TapInterfaceChoice;
using podtap::gui::TapTool;

/// @brief The tap dialog validates as the operator types, lists every problem and remembers choices.
class TestTapDialog final : public QObject
{
    Q_OBJECT

private:
    template<typename T>
    static T *field(TapDialog &dialog, const char *name)
    {
        return ::podtap::test::namedChild<T>(dialog, name);
    }
    static QPushButton *start(TapDialog &dialog) { return field<QPushButton>(dialog, "startButton"); }
    static QString problemsText(TapDialog &dialog) { return field<QLabel>(dialog, "problems")->text(); }

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void init() { QSettings().clear(); }

    void defaultsAreValidAndGoToThisMachine()
    {
        TapDialog dialog(QStringLiteral("shop"), QStringLiteral("web-0"));
        QVERIFY(start(dialog)->isEnabled());
        QVERIFY(dialog.problems().isEmpty());
        QVERIFY(field<QRadioButton>(dialog, "toThisMachine")->isChecked());
        const podtap::TapRequest request = dialog.request();
        QCOMPARE(request.targetNamespace, QStringLiteral("shop"));
        QCOMPARE(request.pod, QStringLiteral("web-0"));
        QCOMPARE(request.interfaceName, QStringLiteral("eth0"));
        QCOMPARE(request.destination.kind, podtap::Destination::Kind::ThisMachine);
        QVERIFY(!request.vni.has_value());
        QCOMPARE(request.port, 4789);
        QCOMPARE(dialog.tool(), TapTool::Wireshark);
    }

    // The kernel interface is its own destination, and the dialog says which one asks for a password.
    void localInterfaceIsItsOwnDestinationAndSaysItNeedsRoot()
    {
        TapDialog dialog(QStringLiteral("shop"), QStringLiteral("web-0"));
        auto *note = field<QLabel>(dialog, "destinationNote");
        QVERIFY2(note->text().contains(QStringLiteral("no root")), qPrintable(note->text()));
        field<QRadioButton>(dialog, "toLocalInterface")->setChecked(true);
        QVERIFY2(note->text().contains(QStringLiteral("password")), qPrintable(note->text()));
        QVERIFY(start(dialog)->isEnabled());
        QCOMPARE(dialog.request().destination.kind, podtap::Destination::Kind::LocalInterface);
        // A tool still runs here: the tunnel ends on this machine.
        QCOMPARE(dialog.tool(), TapTool::Wireshark);
        dialog.saveDefaults();
        TapDialog again(QStringLiteral("shop"), QStringLiteral("web-0"));
        QVERIFY(field<QRadioButton>(again, "toLocalInterface")->isChecked());
    }

    // "Through the API server" is a destination of its own: no tunnel, a tool still runs here, and the dialog says
    // who can read the packets on the way.
    void apiServerIsItsOwnDestinationAndSaysWhoCanRead()
    {
        TapDialog dialog(QStringLiteral("shop"), QStringLiteral("web-0"));
        auto *note = field<QLabel>(dialog, "destinationNote");
        auto *api = field<QRadioButton>(dialog, "toApiServer");
        QCOMPARE(api->text().remove(QLatin1Char('&')), QStringLiteral("Through the API server"));
        api->setChecked(true);
        QVERIFY2(note->text().contains(QStringLiteral("pods/exec")), qPrintable(note->text()));
        QVERIFY2(note->text().contains(QStringLiteral("operates the API server can read")), qPrintable(note->text()));
        QVERIFY(start(dialog)->isEnabled());
        QCOMPARE(dialog.request().destination.kind, podtap::Destination::Kind::ApiServer);
        QCOMPARE(dialog.tool(), TapTool::Wireshark);
        dialog.saveDefaults();
        TapDialog again(QStringLiteral("shop"), QStringLiteral("web-0"));
        QVERIFY(field<QRadioButton>(again, "toApiServer")->isChecked());
        QCOMPARE(again.request().destination.kind, podtap::Destination::Kind::ApiServer);
    }

    void badVniShowsTheRuleAndDisablesStart()
    {
        TapDialog dialog(QStringLiteral("shop"), QStringLiteral("web-0"));
        QTest::keyClicks(field<QLineEdit>(dialog, "vni"), QStringLiteral("16777216"));
        QVERIFY(!start(dialog)->isEnabled());
        QVERIFY2(problemsText(dialog).contains(QStringLiteral("16777215")), qPrintable(problemsText(dialog)));
        QVERIFY(field<QLabel>(dialog, "problems")->isVisibleTo(&dialog));

        field<QLineEdit>(dialog, "vni")->setText(QStringLiteral("4242"));
        QVERIFY(start(dialog)->isEnabled());
        QCOMPARE(dialog.request().vni, std::optional<std::uint32_t>(4242));
    }

    void everyProblemIsListedAtOnce()
    {
        TapDialog dialog(QStringLiteral("shop"), QStringLiteral("web-0"));
        field<QLineEdit>(dialog, "vni")->setText(QStringLiteral("0"));
        field<QLineEdit>(dialog, "port")->setText(QStringLiteral("70000"));
        field<QLineEdit>(dialog, "captureFilter")->setText(QStringLiteral("tcp port"));
        QCOMPARE(dialog.problems().size(), 3);
        QVERIFY(!field<QLabel>(dialog, "filterStatus")->text().isEmpty());
        QVERIFY(!start(dialog)->isEnabled());
    }

    void captureFilterIsCompiledAsYouType()
    {
        TapDialog dialog(QStringLiteral("shop"), QStringLiteral("web-0"));
        auto *filter = field<QLineEdit>(dialog, "captureFilter");
        QTest::keyClicks(filter, QStringLiteral("tcp port 44"));
        QVERIFY(start(dialog)->isEnabled());
        QVERIFY(field<QLabel>(dialog, "filterStatus")->text().contains(QStringLiteral("BPF")));
        QTest::keyClicks(filter, QStringLiteral(" and"));
        QVERIFY(!start(dialog)->isEnabled());
    }

    void ipDestinationMustParse()
    {
        TapDialog dialog(QStringLiteral("shop"), QStringLiteral("web-0"));
        field<QRadioButton>(dialog, "toIp")->setChecked(true);
        // The tunnel leaves this machine, so no local tool is offered.
        QCOMPARE(dialog.tool(), TapTool::None);
        field<QLineEdit>(dialog, "ip")->setText(QStringLiteral("192.0.2.300"));
        QVERIFY(!start(dialog)->isEnabled());
        field<QLineEdit>(dialog, "ip")->setText(QStringLiteral("192.0.2.30"));
        QVERIFY2(start(dialog)->isEnabled(), qPrintable(dialog.problems().join(QLatin1Char('\n'))));
        QCOMPARE(dialog.request().destination.value, QStringLiteral("192.0.2.30"));
    }

    void interfacesWithoutNetdevAreShownDisabled()
    {
        TapDialog dialog(QStringLiteral("shop"), QStringLiteral("web-0"));
        dialog.setInterfaces({
            {QStringLiteral("net1"), QStringLiteral("vfio"), false, QStringLiteral("vfio has no kernel interface")},
            {QStringLiteral("eth0"), {}, true, {}},
        });
        auto *combo = field<QComboBox>(dialog, "interface");
        QCOMPARE(combo->count(), 2);
        QCOMPARE(combo->currentIndex(), 1);
        auto *model = qobject_cast<QStandardItemModel *>(combo->model());
        QVERIFY(!model->item(0)->isEnabled());
        QVERIFY(combo->itemText(0).contains(QStringLiteral("no kernel interface")));

        dialog.setInterfaces({{QStringLiteral("net1"), {}, false, QStringLiteral("memif")}});
        QVERIFY(!start(dialog)->isEnabled());
    }

    void saveToFileNeedsAFile()
    {
        TapDialog dialog(QStringLiteral("shop"), QStringLiteral("web-0"));
        auto *tool = field<QComboBox>(dialog, "tool");
        tool->setCurrentIndex(tool->findData(QStringLiteral("file")));
        QVERIFY(!start(dialog)->isEnabled());
        field<QLineEdit>(dialog, "saveFile")->setText(QStringLiteral("out.pcapng"));
        QVERIFY(start(dialog)->isEnabled());
        QCOMPARE(dialog.tool(), TapTool::SaveToFile);
    }

    void cleartextNoteShowsOnlyBeforeTheFirstTap()
    {
        {
            TapDialog dialog(QStringLiteral("shop"), QStringLiteral("web-0"));
            QVERIFY(field<QLabel>(dialog, "cleartextNote")->isVisibleTo(&dialog));
            field<QLineEdit>(dialog, "port")->setText(QStringLiteral("4790"));
            dialog.accept();
            QCOMPARE(dialog.result(), int(QDialog::Accepted));
        }
        QVERIFY(ConsoleSettings::cleartextNoteShown());
        TapDialog again(QStringLiteral("shop"), QStringLiteral("web-1"));
        QVERIFY(!field<QLabel>(again, "cleartextNote")->isVisibleTo(&again));
        // The last choices are the next defaults.
        QCOMPARE(field<QLineEdit>(again, "port")->text(), QStringLiteral("4790"));
    }
};

QTEST_MAIN(TestTapDialog)
#include "tst_tap_dialog.moc"
