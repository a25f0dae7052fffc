"""Common given names (Kazakh, Russian, English), to recognise another person's name next to a
watched surname (Мария Соколова is not Natalya Sokolova). Spellings are folded by the key,
so each name is listed once per script at most. Words that are more often something else
(Әділет "justice", Ислам) are left out on purpose.
"""

from __future__ import annotations

MALE = """
Абай Абзал Абылай Адиль Әділ Айбар Айбек Айбол Айдар Айдос Айдын Ақжол Алибек Әлібек Әли
Алмас Алмат Алихан Әлихан Аманжол Аманкелді Амангелді Асан Асет Әсет Асқар Асхат Ахмет Әмин
Амин Арман Арсен Әуезхан Азамат Бағдат Бағлан Бауыржан Бақыт Бақытжан Бахыт Бейбіт Бекзат
Бекжан Бекболат Берік Болат Ботабек Ғабит Ғалым Ғалымжан Ғани Дамир Данияр Дастан Даурен
Дәурен Дархан Думан Ержан Еркін Ерлан Ермек Ерболат Ербол Ернар Есен Есенгелді Жандос Жанат
Жанибек Жәнібек Жарас Жасұлан Жұмабек Жомарт Зейнолла Ильяс Қайрат Қайырбек Қанат Қасым
Қуаныш Мақсат Марат Мейрам Медет Мирас Мұрат Мұхтар Мұхтархан Мадияр Нұрлан Нұрбек Нұрсұлтан
Нұржан Нұрлыбек Олжас Оралбек Рүстем Рахат Рахым Самат Санжар Саят Серік Сержан Серікбол
Талғат Тимур Темір Төлеген Ұлан Шерхан Ерғали Бекарыс Абдулла Әбілқайыр Жақсылық Мұхамед
Мухаммед Нариман Ринат Рашид Рафаэль Тельман Ержігіт Исатай Махамбет Сырым Ораз Кенжебек
Александр Алексей Анатолий Андрей Антон Аркадий Арсений Артём Борис Богдан Вадим Валентин
Валерий Василий Виктор Виталий Владимир Владислав Вячеслав Геннадий Георгий Герман Глеб
Григорий Даниил Денис Дмитрий Евгений Егор Иван Игорь Илья Кирилл Константин Лев Леонид
Максим Марк Матвей Михаил Никита Николай Олег Павел Пётр Роман Ростислав Руслан Святослав
Семён Сергей Станислав Степан Тимофей Фёдор Эдуард Юрий Ярослав Вениамин Всеволод Ефим
Захар Яков Эльдар Артур Альберт Рустам Тахир Фарид Шамиль
John James Robert Michael William David Richard Joseph Thomas Charles Mark Paul Peter George
Steven Andrew Daniel Matthew Anthony Donald Kevin Brian Edward Jason Ryan Jacob Gary Eric
Stephen Jonathan Christopher Timothy Patrick Frank Henry Jack Samuel Benjamin Alexander
Nicholas Philip Simon Martin Luke Adam Harry Oliver Hugh Tom Tim Joe Jim Bob Bill Mike Ben
Alex Nick Dan Steve Chris Jeff Scott Larry Raymond Walter Arthur Albert Carl Roger Keith
Jeremy Ivan Nurlan Yerlan Kassym Bolat Serik Marat Askar Kairat Kanat Murat Daniyar Timur
"""

FEMALE = """
Айгерім Әйгерім Айгүл Айжан Айнұр Айман Айнаш Ақмарал Ақерке Алия Әлия Аружан Асель Әсел Әсем
Аяулым Ботагөз Бибігүл Гаухар Гүлмира Гүлнар Гүлнара Гүлжан Гүлсім Гүлшат Гүлназ Дана Дариға
Динара Дильназ Жанар Жансая Жұлдыз Жібек Зарина Зәуре Зере Индира Камила Кәмшат Қарлығаш Күләш
Ләззат Мадина Мәдина Мақпал Меруерт Мейрамгүл Мөлдір Назгүл Назерке Назира Нұргүл Перизат
Райхан Раушан Роза Сәуле Салтанат Самал Сымбат Толқын Тоғжан Томирис Ұлжан Шолпан Эльмира
Ақбота Ақниет Балжан Гүлден Жазира Жаннат Жанель Әлфия Айша Фатима Хадиша Мәншүк Әлия Сара
Гульнара Гульмира Гульжан Айгуль Нургуль Молдир Сауле Жулдыз Айгерим Зауре Ляззат
Александра Алёна Алина Алла Анастасия Ангелина Анна Антонина Валентина Валерия Вера Вероника
Виктория Галина Дарья Диана Евгения Екатерина Елена Елизавета Жанна Зинаида Зоя Инна Ирина
Карина Кира Кристина Ксения Лариса Лидия Любовь Людмила Маргарита Марина Мария Надежда
Наталья Наталия Нина Оксана Ольга Полина Светлана Софья София Тамара Татьяна Ульяна Юлия Яна
Амина Дина Майя Регина Снежана Эвелина Элина Таисия Эмма Алиса Варвара Василиса Ева Злата
Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Nancy Lisa Margaret
Sandra Ashley Emily Michelle Laura Rebecca Helen Anna Maria Emma Olivia Kate Natalie Julia
Sophie Alice Catherine Christine Rachel Amy Hannah Lucy Charlotte Grace Jane Victoria Louise
Claire Sophia Isabella Amelia Ella Chloe Lily Zoe Ruby Eva Nadia Diana Irina Natalya Svetlana
Aigerim Gulnara Gulmira Aliya Saule Zhanna Dinara Aizhan
"""


def names() -> list[tuple[str, str]]:
    """(name, gender) pairs, gender "m" or "f"."""
    return [(n, "m") for n in MALE.split()] + [(n, "f") for n in FEMALE.split()]
