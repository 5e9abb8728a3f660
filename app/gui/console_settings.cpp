// SPDX-License-Identifier: Apache-2.0
#include "console_settings.h"
#include "common/defaults.h"

#include <QSettings>

namespace podtap::gui {

namespace {

QString contextGroupKey(const QString &context, const QString &key)
{
    // A context name may contain '/', which QSettings would read as a group separator.
    return QStringLiteral("contexts/%1/%2").arg(QString::fromLatin1(context.toUtf8().toPercentEncoding()), key);
}

} // namespace

QString ConsoleSettings::lastContext()
{
    return QSettings().value(QStringLiteral("cluster/lastContext")).toString();
}

void ConsoleSettings::setLastContext(const QString &context)
{
    QSettings().setValue(QStringLiteral("cluster/lastContext"), context);
}

QString ConsoleSettings::lastNamespace(const QString &context)
{
    return QSettings().value(contextGroupKey(context, QStringLiteral("namespace"))).toString();
}

void ConsoleSettings::setLastNamespace(const QString &context, const QString &namespaceName)
{
    QSettings().setValue(contextGroupKey(context, QStringLiteral("namespace")), namespaceName);
}

QString ConsoleSettings::agentNamespace()
{
    return QSettings().value(QStringLiteral("agent/namespace"), QString::fromLatin1(kDefaultAgentNamespace)).toString();
}

void ConsoleSettings::setAgentNamespace(const QString &namespaceName)
{
    QSettings().setValue(QStringLiteral("agent/namespace"), namespaceName);
}

QString ConsoleSettings::agentImage()
{
    return QSettings().value(QStringLiteral("agent/image")).toString();
}

void ConsoleSettings::setAgentImage(const QString &image)
{
    QSettings().setValue(QStringLiteral("agent/image"), image);
}

QString ConsoleSettings::dialogValue(const QString &field, const QString &fallback)
{
    return QSettings().value(QStringLiteral("tapDialog/") + field, fallback).toString();
}

void ConsoleSettings::setDialogValue(const QString &field, const QString &value)
{
    QSettings().setValue(QStringLiteral("tapDialog/") + field, value);
}

bool ConsoleSettings::cleartextNoteShown()
{
    return QSettings().value(QStringLiteral("notes/vxlanCleartextShown"), false).toBool();
}

void ConsoleSettings::setCleartextNoteShown(bool shown)
{
    QSettings().setValue(QStringLiteral("notes/vxlanCleartextShown"), shown);
}

} // namespace podtap::gui
