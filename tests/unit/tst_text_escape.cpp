// SPDX-License-Identifier: Apache-2.0
#include "common/text_escape.h"

#include <QTest>

using namespace podtap;

/// @brief quoteForMessage makes hostile text safe and short enough to show a person.
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
};

QTEST_GUILESS_MAIN(TestTextEscape)
#include "tst_text_escape.moc"
