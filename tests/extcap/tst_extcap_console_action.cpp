// SPDX-License-Identifier: Apache-2.0
#include "main_window.h"
#include "support/process.h"

#include <QAction>
#include <QDir>
#include <QFileInfo>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap::gui;
using namespace podtap::test;

/// @brief The console's Tools action links podtap-extcap into Wireshark's personal extcap folders and says where.
class TestExtcapConsoleAction final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_home;

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_home.isValid());
        // The folders are under HOME: a scratch one, so the operator's Wireshark is never touched.
        qputenv("HOME", QFile::encodeName(m_home.path()));
        qunsetenv("XDG_CONFIG_HOME");
        qputenv("PODTAP_EXTCAP", QFile::encodeName(builtExecutable(QStringLiteral("app/extcap/podtap-extcap"))));
    }

    void toolsActionInstallsAndSaysWhere()
    {
        MainWindowOptions options;
        options.kubeconfig.explicitPath = m_home.filePath(QStringLiteral("missing"));
        options.kubeconfig.allowInCluster = false;
        MainWindow window(options);
        QAction *install = nullptr;
        for (QAction *menuAction : window.menuBar()->actions()) {
            if (menuAction->menu() && menuAction->text().remove(QLatin1Char('&')) == QLatin1String("Tools")) {
                for (QAction *action : menuAction->menu()->actions()) {
                    if (action->objectName() == QLatin1String("actionInstallExtcap")) {
                        install = action;
                    }
                }
            }
        }
        QVERIFY(install);
        install->trigger();
        auto *box = window.findChild<QMessageBox *>(QStringLiteral("extcapInstallMessage"));
        QVERIFY(box);
        const QString link = m_home.filePath(QStringLiteral(".config/wireshark/extcap/podtap-extcap"));
        QVERIFY2(box->text().contains(link), qPrintable(box->text()));
        QVERIFY2(box->text().contains(m_home.filePath(QStringLiteral(".local/lib/wireshark/extcap/podtap-extcap"))),
            qPrintable(box->text()));
        QCOMPARE(box->icon(), QMessageBox::Information);
        QCOMPARE(QFileInfo(link).symLinkTarget(),
            QFileInfo(builtExecutable(QStringLiteral("app/extcap/podtap-extcap"))).canonicalFilePath());
        box->close();
    }
};

QTEST_MAIN(TestExtcapConsoleAction)
#include "tst_extcap_console_action.moc"
