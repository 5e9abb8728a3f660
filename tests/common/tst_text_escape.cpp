// SPDX-License-Identifier: Apache-2.0
#include "common/text_escape.h"

#include <QDir>
#include <QProcess>
#include <QTest>

using namespace podtap;

/// @brief quoteForMessage makes hostile text safe and short enough to show a person; shellQuote and
/// escapeForTerminal make it safe to paste into a shell and to print on a terminal.
class TestTextEscape final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void escapes_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("expected");
        QTest::newRow("plain") << QStringLiteral("eth0") << QStringLiteral("\"eth0\"");
        QTest::newRow("empty") << QString() << QStringLiteral("\"\"");
        QTest::newRow("nul") << QString::fromUtf8("a\0b", 3) << QStringLiteral("\"a\\x00b\"");
        QTest::newRow("newline") << QStringLiteral("a\nb") << QStringLiteral("\"a\\x0ab\"");
        QTest::newRow("quote") << QStringLiteral("a\"b\\") << QStringLiteral("\"a\\\"b\\\\\"");
        QTest::newRow("non-ascii") << QStringLiteral("é☃") << QStringLiteral("\"\\xe9\\u2603\"");
        QTest::newRow("ansi escape") << QStringLiteral("\x1b[31m") << QStringLiteral("\"\\x1b[31m\"");
    }
    void escapes()
    {
        QFETCH(QString, input);
        QFETCH(QString, expected);
        QCOMPARE(quoteForMessage(input), expected);
    }

    void cutsLongValuesAndSaysHowLong()
    {
        const QString quoted = quoteForMessage(QString(10240, QLatin1Char('x')), 16);
        QCOMPARE(quoted, QStringLiteral("\"xxxxxxxxxxxxxxxx\"… (10240 characters)"));
    }

    void shellQuoteKeepsEveryValueOneLiteralWord_data()
    {
        QTest::addColumn<QString>("value");
        QTest::newRow("plain") << QStringLiteral("podtap-agents");
        QTest::newRow("empty") << QString();
        QTest::newRow("space") << QStringLiteral("alice smith");
        QTest::newRow("single quote") << QStringLiteral("o'brien");
        QTest::newRow("double quote") << QStringLiteral("a\"b");
        QTest::newRow("substitution") << QStringLiteral("$(touch pwned)`id`;rm -rf x|y&z>w");
        QTest::newRow("glob and newline") << QStringLiteral("*\n~root");
    }
    void shellQuoteKeepsEveryValueOneLiteralWord()
    {
        // A real shell reads the quoted word back: one argument, byte for byte, nothing run.
        QFETCH(QString, value);
        const QString quoted = shellQuote(value);
        QProcess shell;
        shell.setWorkingDirectory(QDir::tempPath());
        shell.start(QStringLiteral("/bin/sh"),
            {QStringLiteral("-c"),
                QStringLiteral("printf '%s\\0' ") + quoted + QStringLiteral("; printf '%s' \"$#\"")});
        QVERIFY(shell.waitForFinished());
        QCOMPARE(shell.exitCode(), 0);
        QCOMPARE(QString::fromUtf8(shell.readAllStandardOutput()), value + QLatin1Char('\0') + QStringLiteral("0"));
        if (value == QLatin1String("podtap-agents"))
            QCOMPARE(quoted, value); // plain names stay readable
    }

    void escapeForTerminalDefusesControls_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("expected");
        QTest::newRow("plain") << QStringLiteral("web-0 é☃") << QStringLiteral("web-0 é☃");
        QTest::newRow("ansi colour") << QStringLiteral("\x1b[31mred") << QStringLiteral("\\x1b[31mred");
        QTest::newRow("title") << QStringLiteral("\x1b]0;owned\x07") << QStringLiteral("\\x1b]0;owned\\x07");
        QTest::newRow("c1 csi") << QStringLiteral("a\u009bb") << QStringLiteral("a\\x9bb");
        QTest::newRow("newline tab cr del")
            << QStringLiteral("a\nb\tc\rd\x7f") << QStringLiteral("a\\x0ab\\x09c\\x0dd\\x7f");
        QTest::newRow("bidi override") << QStringLiteral("a\u202eb") << QStringLiteral("a\\u202eb");
    }
    void escapeForTerminalDefusesControls()
    {
        QFETCH(QString, input);
        QFETCH(QString, expected);
        QCOMPARE(escapeForTerminal(input), expected);
    }
};

QTEST_GUILESS_MAIN(TestTextEscape)
#include "tst_text_escape.moc"
