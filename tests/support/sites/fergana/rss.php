<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
<channel>
<title>Фергана.Ру - Новости</title>
<link>{{base}}/fergana/</link>
<description>Международное агентство новостей «Фергана»</description>
<item>
<title>Казахстан: Бывший председатель КНПРК Лариса Харькова получила четыре года ограничения свободы</title>
<link>{{base}}/fergana/news/26902</link>
<description>В Шымкенте суд признал бывшего председателя КНПРК Ларису Харькову виновной в злоупотреблении должностными полномочиями.</description>
<pubDate>Tue, 25 Jul 2017 19:40:00 +0300</pubDate>
</item>
<item>
<title>Казахстан: Лидер профсоюза Амин Елеусинов приговорен к двум годам лишения свободы</title>
<link>{{base}}/fergana/news/26391</link>
<description>16 мая суд приговорил председателя профсоюза Амина Елеусинова к двум годам лишения свободы.</description>
<pubDate>Tue, 16 May 2017 17:12:00 +0300</pubDate>
</item>
</channel>
</rss>
