// SPDX-License-Identifier: Apache-2.0
// LabelSelector: the Kubernetes selector grammar as `kubectl -l` takes it, a workload's
// spec.selector, matching, and errors that say where and how to write it.
#include "cluster/label_selector.h"

#include <QJsonDocument>
#include <QTest>

using podtap::cluster::LabelRequirement;
using podtap::cluster::LabelSelector;
using Op = LabelRequirement::Op;
using Labels = QHash<QString, QString>;

Q_DECLARE_METATYPE(QList<LabelRequirement>)

namespace {

QHash<QString, QString> labels(std::initializer_list<std::pair<const char *, const char *>> pairs)
{
    QHash<QString, QString> out;
    for (const auto &[k, v] : pairs) {
        out.insert(QString::fromUtf8(k), QString::fromUtf8(v));
    }
    return out;
}

} // namespace

class TestLabelSelector : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesTheGrammar_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QList<LabelRequirement>>("expected");
        QTest::addColumn<QString>("canonical");
        QTest::newRow("equals") << "app=cart" << QList<LabelRequirement> {{"app", Op::Equals, {"cart"}}} << "app=cart";
        QTest::newRow("double equals") << "app==cart" << QList<LabelRequirement> {{"app", Op::Equals, {"cart"}}}
                                       << "app=cart";
        QTest::newRow("two, with spaces")
            << " app = cart , tier!=db "
            << QList<LabelRequirement> {{"app", Op::Equals, {"cart"}}, {"tier", Op::NotEquals, {"db"}}}
            << "app=cart,tier!=db";
        QTest::newRow("in") << "env in (prod,staging)" << QList<LabelRequirement> {{"env", Op::In, {"prod", "staging"}}}
                            << "env in (prod,staging)";
        QTest::newRow("notin sorted, no duplicates")
            << "env notin (b, a, b)" << QList<LabelRequirement> {{"env", Op::NotIn, {"b", "a"}}} << "env notin (a,b)";
        QTest::newRow("exists") << "canary" << QList<LabelRequirement> {{"canary", Op::Exists, {}}} << "canary";
        QTest::newRow("does not exist") << "!canary" << QList<LabelRequirement> {{"canary", Op::DoesNotExist, {}}}
                                        << "!canary";
        QTest::newRow("prefixed key") << "app.kubernetes.io/name=cart"
                                      << QList<LabelRequirement> {{"app.kubernetes.io/name", Op::Equals, {"cart"}}}
                                      << "app.kubernetes.io/name=cart";
        QTest::newRow("empty value") << "tier=" << QList<LabelRequirement> {{"tier", Op::Equals, {""}}} << "tier=";
        QTest::newRow("mixed") << "app=cart,env in (a,b),!canary,track"
                               << QList<LabelRequirement> {{"app", Op::Equals, {"cart"}}, {"env", Op::In, {"a", "b"}},
                                      {"canary", Op::DoesNotExist, {}}, {"track", Op::Exists, {}}}
                               << "app=cart,env in (a,b),!canary,track";
        QTest::newRow("empty") << "" << QList<LabelRequirement> {} << "";
    }

    void parsesTheGrammar()
    {
        QFETCH(QString, text);
        QFETCH(QList<LabelRequirement>, expected);
        QFETCH(QString, canonical);
        QString error;
        const auto selector = LabelSelector::parse(text, &error);
        QVERIFY2(selector, qPrintable(error));
        QCOMPARE(selector->requirements(), expected);
        QCOMPARE(selector->toString(), canonical);
        const auto again = LabelSelector::parse(selector->toString(), &error);
        QVERIFY2(again, qPrintable(error));
        QCOMPARE(again->toString(), canonical);
    }

    void refusesWithWhereAndHow_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");
        QTest::newRow("value missing its operator") << "app cart"
                                                    << "at character 5: expected an operator";
        QTest::newRow("trailing comma") << "app=cart,"
                                        << "at character 10: expected a label key, found the end";
        QTest::newRow("double comma") << "a=b,,c"
                                      << "at character 5: expected a label key, found \",\"";
        QTest::newRow("in without parens") << "env in prod"
                                           << "expected '(' after";
        QTest::newRow("unclosed set") << "env in (a,b"
                                      << "expected ',' or ')' in the set";
        QTest::newRow("empty set") << "env in ()"
                                   << "is empty; name at least one value";
        QTest::newRow("bang without key") << "!"
                                          << "expected a label key after '!', found the end";
        QTest::newRow("bang before operator") << "!app=cart"
                                              << "expected ',' or the end after a requirement";
        QTest::newRow("bad value char") << "app=ca$rt"
                                        << "label value \"ca$rt\" holds \"$\"";
        QTest::newRow("value too long") << "app=" + QString(64, QLatin1Char('a')) << "is 64 characters long";
        QTest::newRow("key starts with dash") << "-app=cart"
                                              << "must start and end with a letter or digit";
        QTest::newRow("upper-case prefix") << "Example.com/app=x"
                                           << "is not a DNS subdomain";
        QTest::newRow("empty name after slash") << "example.com/=x"
                                                << "has nothing after '/'";
        QTest::newRow("numeric comparison") << "replicas>3"
                                            << "compares numbers";
        QTest::newRow("control character") << QStringLiteral("app=a\x01") << "\\x01";
    }

    void refusesWithWhereAndHow()
    {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        QString error;
        QVERIFY(!LabelSelector::parse(text, &error));
        QVERIFY2(error.contains(expected), qPrintable(error));
        QVERIFY2(error.startsWith(QStringLiteral("invalid label selector")), qPrintable(error));
        QVERIFY2(error.contains(QStringLiteral("key in (a,b)")), qPrintable(error)); // the grammar, as the fix
    }

    void matchesLikeTheApiServer_data()
    {
        QTest::addColumn<QString>("selector");
        QTest::addColumn<Labels>("podLabels");
        QTest::addColumn<bool>("selected");
        const auto cart = labels({{"app", "cart"}, {"tier", "web"}});
        QTest::newRow("equals") << "app=cart" << cart << true;
        QTest::newRow("equals other") << "app=shop" << cart << false;
        QTest::newRow("not equals missing key") << "env!=prod" << cart << true;
        QTest::newRow("in") << "tier in (web,api)" << cart << true;
        QTest::newRow("in missing key") << "env in (prod)" << cart << false;
        QTest::newRow("notin missing key") << "env notin (prod)" << cart << true;
        QTest::newRow("notin hit") << "tier notin (web)" << cart << false;
        QTest::newRow("exists") << "tier" << cart << true;
        QTest::newRow("does not exist") << "!tier" << cart << false;
        QTest::newRow("all of them") << "app=cart,tier in (web),!canary" << cart << true;
        QTest::newRow("empty selects all") << "" << cart << true;
    }

    void matchesLikeTheApiServer()
    {
        QFETCH(QString, selector);
        QFETCH(Labels, podLabels);
        QFETCH(bool, selected);
        QString error;
        const auto parsed = LabelSelector::parse(selector, &error);
        QVERIFY2(parsed, qPrintable(error));
        QCOMPARE(parsed->matches(podLabels), selected);
    }

    void convertsAWorkloadSelector()
    {
        const QJsonObject object = QJsonDocument::fromJson(R"({"matchLabels":{"app":"shop"},"matchExpressions":[
            {"key":"tier","operator":"In","values":["web","api"]},
            {"key":"canary","operator":"DoesNotExist"},
            {"key":"track","operator":"Exists"},
            {"key":"env","operator":"NotIn","values":["dev"]}]})")
                                       .object();
        QString error;
        const auto selector = LabelSelector::fromObject(object, &error);
        QVERIFY2(selector, qPrintable(error));
        QCOMPARE(selector->toString(), QStringLiteral("app=shop,tier in (api,web),!canary,track,env notin (dev)"));
        QVERIFY(selector->matches(labels({{"app", "shop"}, {"tier", "api"}, {"track", "stable"}})));
        QVERIFY(!selector->matches(labels({{"app", "shop"}, {"tier", "db"}, {"track", "stable"}})));
    }

    void refusesABrokenWorkloadSelector_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unknown operator")
            << QByteArray(R"({"matchExpressions":[{"key":"a","operator":"Gt","values":["1"]}]})")
            << "matchExpressions[0]: unknown operator \"Gt\"";
        QTest::newRow("in without values") << QByteArray(R"({"matchExpressions":[{"key":"a","operator":"In"}]})")
                                           << "operator In needs at least one value";
        QTest::newRow("exists with values")
            << QByteArray(R"({"matchExpressions":[{"key":"a","operator":"Exists","values":["x"]}]})")
            << "operator Exists takes no values";
        QTest::newRow("number as label") << QByteArray(R"({"matchLabels":{"app":3}})") << "is not a string";
        QTest::newRow("bad key") << QByteArray(R"({"matchLabels":{"a b":"c"}})") << "label key name \"a b\"";
        QTest::newRow("labels not an object") << QByteArray(R"({"matchLabels":["a"]})") << "is not an object";
    }

    void refusesABrokenWorkloadSelector()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        QString error;
        QVERIFY(!LabelSelector::fromObject(QJsonDocument::fromJson(json).object(), &error));
        QVERIFY2(error.contains(expected), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestLabelSelector)
#include "tst_label_selector.moc"
