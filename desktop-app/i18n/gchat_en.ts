<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>IdentityTexts</name>
    <message numerus="yes">
        <source>This device&apos;s certificate expires in %n day(s), on %1.</source>
        <translation>
            <numerusform>This device&apos;s certificate expires in %n day, on %1.</numerusform>
            <numerusform>This device&apos;s certificate expires in %n days, on %1.</numerusform>
        </translation>
    </message>
</context>
</TS>
