"""Every label and explanation of the dashboard in English and Russian.

``t(key, **args)`` returns the text of ``key`` in the session's language
(``lang``, a per-session reactive value), formatted with ``args``. The
language switch on every page sets ``lang``.
"""

from __future__ import annotations

import solara

LANGUAGES = {"English": "en", "Русский": "ru"}
lang = solara.reactive("en")

# fmt: off
TEXT: dict[str, dict[str, str]] = {
    # app and navigation
    "app_title": {"en": "migsim: labour migration from Central Asia",
                  "ru": "migsim: трудовая миграция из Центральной Азии"},
    "nav_whatif": {"en": "What-if", "ru": "Что если"},
    "nav_workshop": {"en": "Workshop", "ru": "Семинар"},
    "nav_research": {"en": "Research", "ru": "Исследование"},
    "nav_drove": {"en": "What drove it?", "ru": "Чем это вызвано?"},
    "language": {"en": "Language", "ru": "Язык"},
    # indicators: their labels are in sim.indicators.REGISTRY (indicator_label)
    # what-if page
    "whatif_title": {"en": "What if?", "ru": "Что если?"},
    "whatif_intro": {
        "en": "Start from a scenario (the baseline is what happened, then a projection), change policy "
              "levers, press **Run**. The model runs the scenario and the baseline three times each with "
              "the same random numbers and parameters; lines show the average, bands 5-95% over the "
              "three runs.",
        "ru": "Выберите сценарий (базовый — то, что произошло, и далее прогноз), измените меры политики "
              "и нажмите **Запустить**. Модель трижды считает сценарий и базовый вариант с одинаковыми "
              "случайными числами и параметрами; линии — среднее, полосы — 5–95% по трём расчётам."},
    "band_note": {
        "en": "Bands: 5-95% over {members} members, each a particle of the 2010-2021 calibration with its "
              "own seed (posterior and seed noise); the baseline's remittance share also carries the model's "
              "structural error, each member moved by its own particle's persistent bias, so that band shows "
              "where the recorded share is expected; after 2021, the last fitted year, that error may drift, "
              "so the band widens year by year. Differences share particles and seeds, so the structural "
              "error cancels.",
        "ru": "Полосы — 5–95% по {members} расчётам, каждый с параметрами из калибровки 2010–2021 и своим "
              "зерном (апостериорная неопределённость и случайность); для доли переводов в базовом варианте "
              "добавлена структурная ошибка модели с устойчивым смещением, своим у каждого расчёта, так что "
              "полоса показывает, где ожидается зарегистрированная доля; после 2021 года, последнего года "
              "калибровки, эта ошибка может смещаться, и полоса с каждым годом шире. Разности считаются на "
              "общих параметрах и зёрнах, поэтому структурная ошибка в них сокращается."},
    "after_history": {
        "en": "grey: after 2025, given the central driver path (not a forecast of the drivers)",
        "ru": "серым: после 2025 г. — при центральной траектории факторов (это не прогноз самих факторов)"},
    "scenario_file": {"en": "Scenario", "ru": "Сценарий"},
    "last_year": {"en": "Last year of the run", "ru": "Последний год расчёта"},
    "eaeu_title": {"en": "Joining the Eurasian Economic Union", "ru": "Вступление в ЕАЭС"},
    "eaeu_help": {"en": "Members' citizens work in Russia and Kazakhstan without a patent",
                  "ru": "Граждане стран ЕАЭС работают в России и Казахстане без патента"},
    "country_TJ": {"en": "Tajikistan", "ru": "Таджикистан"},
    "country_KG": {"en": "Kyrgyzstan", "ru": "Кыргызстан"},
    "country_UZ": {"en": "Uzbekistan", "ru": "Узбекистан"},
    "country": {"en": "Country", "ru": "Страна"},
    "all_short": {"en": "All three", "ru": "Все три"},
    "all_countries": {"en": "Tajikistan, Kyrgyzstan and Uzbekistan",
                      "ru": "Таджикистан, Кыргызстан и Узбекистан"},
    "month": {"en": "Month (YYYY-MM)", "ru": "Месяц (ГГГГ-ММ)"},
    "from_month": {"en": "From (YYYY-MM)", "ru": "С (ГГГГ-ММ)"},
    "amnesty_title": {"en": "Amnesty of re-entry bans", "ru": "Амнистия запретов на въезд"},
    "amnesty_help": {"en": "Share of standing Russian bans lifted in one month",
                     "ru": "Доля действующих запретов, снятых за один месяц"},
    "amnesty_share": {"en": "Share of bans lifted", "ru": "Доля снятых запретов"},
    "kz_title": {"en": "Kazakhstan work permits", "ru": "Разрешения на работу в Казахстане"},
    "kz_help": {"en": "Legal work in Kazakhstan and its monthly fee",
                "ru": "Легальная работа в Казахстане и её ежемесячная плата"},
    "kz_available": {"en": "Permits available", "ru": "Разрешения доступны"},
    "kz_fee": {"en": "Permit fee (x today's)", "ru": "Плата за разрешение (x нынешней)"},
    "campaign_title": {"en": "Information campaign", "ru": "Информационная кампания"},
    "campaign_help": {"en": "Share of households reached each month: they learn about bans and legal "
                             "work in Kazakhstan",
                      "ru": "Доля домохозяйств, охваченных за месяц: узнают о запретах и легальной "
                            "работе в Казахстане"},
    "campaign": {"en": "Monthly reach", "ru": "Охват в месяц"},
    "remit_cost_title": {"en": "Cost of sending money home", "ru": "Стоимость денежных переводов"},
    "remit_cost_help": {"en": "Transfer fees from Russia and Kazakhstan (x today's)",
                        "ru": "Комиссии за переводы из России и Казахстана (x нынешних)"},
    "remit_cost": {"en": "Transfer cost (x today's)", "ru": "Стоимость перевода (x нынешней)"},
    "reintegration_title": {"en": "Reintegration of returnees", "ru": "Реинтеграция вернувшихся"},
    "reintegration_help": {"en": "Share of returnees a job programme reaches",
                           "ru": "Доля вернувшихся, которых охватывает программа занятости"},
    "reintegration": {"en": "Coverage", "ru": "Охват"},
    "rub_title": {"en": "Exchange-rate shock", "ru": "Шок валютного курса"},
    "rub_help": {"en": "Roubles per dollar multiplied (above 1: a weaker rouble, Russian wages worth "
                        "fewer dollars)",
                 "ru": "Рублей за доллар умножить на (больше 1: рубль слабее, зарплаты в России "
                       "стоят меньше долларов)"},
    "rub_shock": {"en": "Roubles per dollar (x)", "ru": "Рублей за доллар (x)"},
    "rub_months": {"en": "Months (0: for good)", "ru": "Месяцев (0: навсегда)"},
    "reset_levers": {"en": "Reset levers", "ru": "Сбросить меры"},
    "run": {"en": "Run", "ru": "Запустить"},
    "fix_first": {"en": "Fix the marked controls first.", "ru": "Сначала исправьте отмеченные поля."},
    "run_help": {"en": "{households} households, {seeds} seeds; a run takes a few seconds.",
                 "ru": "{households} домохозяйств, {seeds} расчёта; несколько секунд."},
    "running": {"en": "Running the scenario and the baseline...", "ru": "Идёт расчёт сценария и базы..."},
    "press_run": {"en": "Set the levers and press Run.", "ru": "Задайте меры и нажмите «Запустить»."},
    "reference": {"en": "Baseline", "ru": "Базовый"},
    "scenario": {"en": "Scenario", "ru": "Сценарий"},
    "table_year": {"en": "Year of the table", "ru": "Год таблицы"},
    "headline_title": {"en": "In {year}, the scenario against the baseline",
                       "ru": "{year} год: сценарий по сравнению с базовым"},
    "headline": {"en": "{indicator}: {amount} {direction} than in the baseline{rel}.",
                 "ru": "{indicator}: на {amount} {direction}, чем в базовом варианте{rel}."},
    "same": {"en": "{indicator}: about the same as in the baseline{rel}.",
             "ru": "{indicator}: примерно как в базовом варианте{rel}."},
    "range_words": {"en": "; between {low} and {high} across the members (5-95%)",
                    "ru": "; по расчётам — от {low} до {high} (5–95%)"},
    "more": {"en": "more", "ru": "больше"},
    "less": {"en": "fewer", "ru": "меньше"},
    "points": {"en": "{value} percentage points", "ru": "{value} п.п."},
    "col_indicator": {"en": "Indicator", "ru": "Показатель"},
    "col_reference": {"en": "Baseline", "ru": "Базовый"},
    "col_scenario": {"en": "Scenario", "ru": "Сценарий"},
    "col_difference": {"en": "Difference", "ru": "Разница"},
    "col_words": {"en": "In words", "ru": "Словами"},
    "col_range": {"en": "Difference, 5-95% over members", "ru": "Разница: 5–95% по расчётам"},
    "col_country": {"en": "Country", "ru": "Страна"},
    "col_year": {"en": "Year", "ru": "Год"},
    "col_low": {"en": "Difference, 5th percentile over members", "ru": "Разница, 5-й процентиль"},
    "col_high": {"en": "Difference, 95th percentile over members", "ru": "Разница, 95-й процентиль"},
    "range_note": {"en": "5-95%: the band of the difference over the {members} members (each a calibrated "
                         "parameter set with its own seed). The CSV holds every year.",
                   "ru": "5–95% — полоса разницы по {members} расчётам (у каждого свой "
                         "набор откалиброванных параметров и своё зерно). В CSV — все годы."},
    "hover_note": {"en": "Point at a panel to read the values of the nearest date; the picture for print is "
                         "under Chart (PNG).",
                   "ru": "Наведите указатель на график, чтобы увидеть значения ближайшей даты; картинка для "
                         "печати — по кнопке «График (PNG)»."},
    "hover_when": {"en": "Date", "ru": "Дата"},
    "hover_series": {"en": "Line", "ru": "Линия"},
    "hover_value": {"en": "Mean over members", "ru": "Среднее по расчётам"},
    "hover_range": {"en": "5-95% band", "ru": "Диапазон 5–95%"},
    "year_note": {"en": "Yellow: {year}, the year of the table below (at first the first full year in which "
                        "the scenario's own change acts).",
                  "ru": "Жёлтым — {year} г., год таблицы ниже (сначала — первый полный год, когда действует "
                        "изменение сценария)."},
    "show_levels": {"en": "Both runs", "ru": "Оба расчёта"},
    "show_difference": {"en": "Difference", "ru": "Разница"},
    "difference": {"en": "Scenario − baseline", "ru": "Сценарий − базовый"},
    "band_note_difference": {
        "en": "Lines: the scenario minus the baseline, member by member (same seed and parameters), "
              "averaged; bands: 5-95% of the {members} members' differences (posterior and seed noise; "
              "a shared structural error cancels). Rates in percentage points.",
        "ru": "Линии — сценарий минус базовый вариант, расчёт за расчётом (то же зерно и параметры), "
              "в среднем; полосы — 5–95% разниц {members} расчётов (апостериорная неопределённость и "
              "случайность; общая структурная ошибка сокращается). Доли — в процентных пунктах."},
    "view_annual": {"en": "Yearly", "ru": "По годам"},
    "view_monthly": {"en": "Monthly", "ru": "По месяцам"},
    "results_for": {"en": "Results for: {title}, against the baseline", "ru": "Результаты: {title}, в "
                    "сравнении с базовым вариантом"},
    "results_for_levers": {"en": "Results for: the baseline with the levers set at the time, against the "
                                 "baseline",
                           "ru": "Результаты: базовый вариант с мерами, заданными на тот момент, в сравнении "
                                 "с базовым вариантом"},
    "with_levers": {"en": ", with the levers set at the time", "ru": ", с мерами, заданными на тот момент"},
    "stale_results": {"en": "The scenario, levers or last year have changed since this run: the results "
                            "below are for the earlier inputs. Press Run to update them.",
                      "ru": "Сценарий, меры или последний год изменились после этого расчёта: результаты "
                            "ниже относятся к прежним настройкам. Нажмите «Запустить», чтобы обновить их."},
    "download_csv": {"en": "Table (CSV)", "ru": "Таблица (CSV)"},
    "download_run": {"en": "Whole run (CSV)", "ru": "Весь расчёт (CSV)"},
    "col_run": {"en": "Run", "ru": "Расчёт"},
    "col_seed": {"en": "Member seed", "ru": "Зерно расчёта"},
    "col_month": {"en": "Month", "ru": "Месяц"},
    "csv_scenario": {"en": "Scenario", "ru": "Сценарий"},
    "csv_levers": {"en": "Events added by the levers", "ru": "События, добавленные мерами"},
    "csv_members": {"en": "Members (seed and calibrated parameters)",
                    "ru": "Расчёты (зерно и откалиброванные параметры)"},
    "csv_households": {"en": "Households per run", "ru": "Домохозяйств на расчёт"},
    "download_png": {"en": "Chart (PNG)", "ru": "График (PNG)"},
    # lever problems
    "bad_month": {"en": "'{value}' is not a month: write YYYY-MM, e.g. 2022-01",
                  "ru": "«{value}» — не месяц: пишите ГГГГ-ММ, например 2022-01"},
    "before_start": {"en": "Before the scenario starts ({start}); choose {start} or later",
                     "ru": "Раньше начала сценария ({start}); выберите {start} или позже"},
    "after_end": {"en": "After the end of the run ({end}): no effect",
                  "ru": "После конца расчёта ({end}): не влияет"},
    "invalid": {"en": "Not allowed: {message}", "ru": "Недопустимо: {message}"},
    "already_member": {"en": "Already a member since {since} in this scenario: nothing to change",
                       "ru": "Уже член ЕАЭС с {since} в этом сценарии: менять нечего"},
    "amnesty_before_law": {"en": "Before the 2013 ban law there are few bans to lift",
                           "ru": "До закона 2013 года запретов мало — снимать почти нечего"},
    "fee_without_permits": {"en": "Without permits the fee does not matter",
                            "ru": "Без разрешений плата не имеет значения"},
    "bad_duration": {"en": "Months must be between 0 and 240", "ru": "Месяцев: от 0 до 240"},
    # workshop page
    "workshop_title": {"en": "Workshop: a village and its migrants", "ru": "Семинар: село и его мигранты"},
    "workshop_intro": {
        "en": "A few hundred households in a world that stands still: wages, prices and rules stay as the "
              "sliders set them. Each dot is a household, each line a tie between neighbours or relatives. "
              "Press **Step** for one month, **Play** to go on month after month, **Reset** to apply the "
              "sliders.",
        "ru": "Несколько сотен домохозяйств в неизменном мире: зарплаты, курсы и правила такие, как "
              "задают ползунки. Точка — домохозяйство, линия — связь соседей или родственников. "
              "**Шаг** — один месяц, **Пуск** — месяц за месяцем, **Сброс** — применить ползунки."},
    "settings_now": {
        "en": "This village ({households} households): job chance at home {p_job}, wages at home x{home}, "
              "in Russia x{ru}, in Kazakhstan x{kz}, roubles per dollar x{rub}, network pull {net}, "
              "ban risk {ban} a month. Move the sliders and press **Reset** to change them.",
        "ru": "Это село ({households} домохозяйств): шанс работы дома {p_job}, зарплаты дома x{home}, "
              "в России x{ru}, в Казахстане x{kz}, рублей за доллар x{rub}, притяжение сети {net}, "
              "риск запрета {ban} в месяц. Измените ползунки и нажмите **Сброс**."},
    "month_counter": {"en": "Month {n}", "ru": "Месяц {n}"},
    "p_job_home": {"en": "Push: chance of a job at home", "ru": "Выталкивание: шанс найти работу дома"},
    "wage_home_multiplier": {"en": "Push: wages at home (x)", "ru": "Выталкивание: зарплаты дома (x)"},
    "wage_ru_multiplier": {"en": "Pull: wages in Russia (x)", "ru": "Притяжение: зарплаты в России (x)"},
    "wage_kz_multiplier": {"en": "Pull: wages in Kazakhstan (x)",
                           "ru": "Притяжение: зарплаты в Казахстане (x)"},
    "rub_per_usd_multiplier": {"en": "Pull: roubles per dollar (x; above 1 = weaker rouble)",
                               "ru": "Притяжение: рублей за доллар (x; больше 1 = рубль слабее)"},
    "beta_network": {"en": "Network pull (contacts abroad)", "ru": "Притяжение сети (знакомые за границей)"},
    "hazard_ru_after_law": {"en": "Ban risk: monthly chance an irregular worker is caught",
                            "ru": "Риск запрета: шанс в месяц, что нелегала задержат"},
    "households": {"en": "Households", "ru": "Домохозяйства"},
    "seed": {"en": "Random seed", "ru": "Случайное зерно"},
    "legend_home": {"en": "everyone at home", "ru": "все дома"},
    "legend_ru": {"en": "someone in Russia", "ru": "кто-то в России"},
    "legend_kz": {"en": "someone in Kazakhstan", "ru": "кто-то в Казахстане"},
    "legend_banned": {"en": "someone banned from Russia", "ru": "у кого-то запрет на въезд в Россию"},
    "network_title": {"en": "The village network", "ru": "Сеть села"},
    "shares_title": {"en": "Where the working-age members are", "ru": "Где находятся члены семей"},
    "share_home": {"en": "at home", "ru": "дома"},
    "share_ru": {"en": "in Russia", "ru": "в России"},
    "share_kz": {"en": "in Kazakhstan", "ru": "в Казахстане"},
    "share_banned": {"en": "banned (at home)", "ru": "с запретом (дома)"},
    "controls_title": {"en": "Controls", "ru": "Управление"},
    "step": {"en": "Step", "ru": "Шаг"},
    "play": {"en": "Play", "ru": "Пуск"},
    "pause": {"en": "Pause", "ru": "Пауза"},
    "reset": {"en": "Reset", "ru": "Сброс"},
    "press_reset": {"en": "The sliders differ from this village: press Reset to apply them.",
                    "ru": "Ползунки отличаются от этого села: нажмите «Сброс», чтобы применить их."},
    "preparing": {"en": "Preparing the village... The first time after installation this also compiles the "
                        "model, which can take a minute.",
                  "ru": "Готовим село... При первом запуске после установки модель ещё и компилируется — "
                        "это может занять минуту."},
    "village_failed": {"en": "The village could not be built: {error}",
                       "ru": "Не удалось построить село: {error}"},
    "previous_run": {"en": "before the last Reset", "ru": "до последнего сброса"},
    "previous_note": {"en": "Dashed: the run before the last Reset, to compare with.",
                      "ru": "Пунктир — расчёт до последнего сброса, для сравнения."},
    "shares_now": {"en": "Month {n}: {home} at home, {ru} in Russia, {kz} in Kazakhstan, {banned} banned.",
                   "ru": "Месяц {n}: дома {home}, в России {ru}, в Казахстане {kz}, с запретом {banned}."},
    "household_title": {"en": "One household up close", "ru": "Одно домохозяйство вблизи"},
    "household_pick": {"en": "Household", "ru": "Домохозяйство"},
    "household_summary": {
        "en": "Household {id} from {origin}: {size} people, {members} of working age. Contacts: {contacts}; "
              "with someone in Russia: {c_ru}, in Kazakhstan: {c_kz}. {aware}",
        "ru": "Домохозяйство {id} ({origin}): {size} чел., трудоспособных {members}. Связей {contacts}: "
              "у {c_ru} кто-то в России, у {c_kz} — в Казахстане. {aware}"},
    "aware_yes": {"en": "They know legal work in Kazakhstan is possible.",
                  "ru": "Они знают, что в Казахстане можно работать легально."},
    "aware_no": {"en": "They do not know legal work in Kazakhstan is possible.",
                 "ru": "Они не знают, что в Казахстане можно работать легально."},
    "member_line": {
        "en": "**Member {k}** ({sex}, {age}) is {where}{ban}. If they reconsider this month: stay or come "
              "home {p_home}, Russia {p_ru}, Kazakhstan {p_kz}. Attractiveness (utility): home {u_home}, "
              "Russia {u_ru}, Kazakhstan {u_kz}.",
        "ru": "**Член семьи {k}** ({sex}, {age}) {where}{ban}. Если в этом месяце он(а) решает заново: "
              "остаться или вернуться домой {p_home}, Россия {p_ru}, Казахстан {p_kz}. Привлекательность "
              "(полезность): дом {u_home}, Россия {u_ru}, Казахстан {u_kz}."},
    "member_why": {
        "en": "Why: expected pay at home about ${home}/month; a migrant's wage about ${ru} in Russia and "
              "${kz} in Kazakhstan; {net_ru} of contacts have someone in Russia (adds {pull_ru} to Russia's "
              "utility).{closed}",
        "ru": "Почему: ожидаемый доход дома около ${home}/мес.; зарплата мигранта около ${ru} в России и "
              "${kz} в Казахстане; у {net_ru} связей кто-то в России (добавляет {pull_ru} к полезности "
              "России).{closed}"},
    "russia_closed": {"en": " Russia is closed to this member: a known ban.",
                      "ru": " Россия закрыта для него: известный запрет."},
    "male": {"en": "man", "ru": "мужчина"},
    "female": {"en": "woman", "ru": "женщина"},
    "age_0": {"en": "18-29", "ru": "18-29 лет"},
    "age_1": {"en": "30-44", "ru": "30-44 года"},
    "age_2": {"en": "45-59", "ru": "45-59 лет"},
    "where_0": {"en": "at home", "ru": "дома"},
    "where_1": {"en": "in Russia", "ru": "в России"},
    "where_2": {"en": "in Kazakhstan", "ru": "в Казахстане"},
    "ban_known": {"en": ", banned from Russia (knows it)", "ru": ", с запретом на въезд в Россию (знает)"},
    "ban_unknown": {"en": ", banned from Russia (does not know)",
                    "ru": ", с запретом на въезд в Россию (не знает)"},
    # research page
    "research_title": {"en": "Research: batch and calibration outputs",
                       "ru": "Исследование: результаты серий и калибровки"},
    "research_intro": {"en": "Folders under the results folder given when the dashboard started ({root}), "
                             "then those shipped with migsim (migsim/calibration/runs/...).",
                       "ru": "Папки внутри папки результатов, заданной при запуске ({root}), затем "
                             "поставляемые с migsim (migsim/calibration/runs/...)."},
    "folder": {"en": "Folder", "ru": "Папка"},
    "no_folders": {"en": "No results of your own yet (run `migsim batch` or `migsim calibrate`); below are "
                         "the calibrations shipped with migsim.",
                   "ru": "Своих результатов пока нет (запустите `migsim batch` или `migsim calibrate`); "
                         "ниже — калибровки, поставляемые с migsim."},
    "shipped_note": {"en": "Shipped with migsim (calibration/runs/, read-only): what the defaults and the "
                           "docs were made from.",
                     "ru": "Поставляется с migsim (calibration/runs/, только чтение): из этого получены "
                           "значения по умолчанию и документация."},
    "batch_title": {"en": "Batch: indicators across runs", "ru": "Серия: показатели по расчётам"},
    "indicator": {"en": "Indicator", "ru": "Показатель"},
    "colour_by": {"en": "Colour by", "ru": "Цвет по"},
    "runs_table": {"en": "Runs", "ru": "Расчёты"},
    "tables_title": {"en": "Tables in this folder", "ru": "Таблицы в этой папке"},
    "images_title": {"en": "Charts in this folder", "ru": "Графики в этой папке"},
    "rows_shown": {"en": "{file}: {rows} rows, {cols} columns (first {shown} shown)",
                   "ru": "{file}: строк {rows}, столбцов {cols} (показаны первые {shown})"},
    "unreadable": {"en": "{file}: could not be read ({error})",
                   "ru": "{file}: не удалось прочитать ({error})"},
    "empty_folder": {"en": "No tables or charts in this folder.",
                     "ru": "В этой папке нет таблиц и графиков."},
    "runs_count": {"en": "{runs} runs, {indicator}", "ru": "{runs} расчётов, {indicator}"},
    # "What drove it?" page
    "drove_title": {"en": "What drove it?", "ru": "Чем это вызвано?"},
    "drove_intro": {
        "en": "How much of a change came from the rouble, Russia's economy, the re-entry bans, the entry "
              "rules, and so on: each factor is held at its value before the first period in turn, and its "
              "part of the change is its average effect over all orders of switching the factors on "
              "(Shapley values). **Drift** is what changes with every factor held (momentum, seasonality).",
        "ru": "Какая часть изменения пришлась на рубль, экономику России, запреты на въезд, правила въезда "
              "и т. д.: каждый фактор по очереди фиксируется на значении до первого периода, а его доля в "
              "изменении — средний эффект по всем порядкам включения факторов (значения Шепли). "
              "**Инерция** — то, что меняется при всех зафиксированных факторах (тенденции, сезонность)."},
    "episodes_title": {"en": "Episodes of the baseline (computed in advance)",
                       "ru": "Эпизоды базового сценария (рассчитаны заранее)"},
    "episodes_note": {
        "en": "Computed in advance: {households} households per run, {seeds} members, each with its own seed "
              "and parameters drawn from the 2010-2021 calibration; bands are 5-95% over the members.",
        "ru": "Рассчитано заранее: {households} домохозяйств на расчёт, {seeds} расчёта, у каждого своё "
              "зерно и параметры из калибровки 2010–2021; полосы — 5–95% по расчётам."},
    "no_episodes": {"en": "No episodes are shipped with this copy: run `python -m dashboards.episodes`.",
                    "ru": "В этой копии нет готовых эпизодов: запустите `python -m dashboards.episodes`."},
    "chart_title": {"en": "{place}: {indicator}, change from {a} to {b}",
                    "ru": "{place}: {indicator}, изменение с {a} по {b} г."},
    "chart_note": {
        "en": "Bars: mean over members ({unit}); whiskers: 5-95% over members; the dark bar is the total "
              "change.",
        "ru": "Столбцы — среднее по расчётам ({unit}); усы — 5–95% по расчётам; тёмный столбец — изменение "
              "в целом."},
    "unit_usd_m": {"en": "USD million", "ru": "млн долл. США"},
    "unit_points": {"en": "percentage points", "ru": "процентные пункты"},
    "unit_usd": {"en": "USD per person", "ru": "долл. на человека"},
    "unit_persons": {"en": "persons", "ru": "человек"},
    "unit_households": {"en": "households", "ru": "домохозяйств"},
    "col_cause": {"en": "Cause", "ru": "Причина"},
    "drift_short": {"en": "Drift", "ru": "Инерция"},
    "col_group": {"en": "Group", "ru": "Группа"},
    "col_setting": {"en": "Ban parameters", "ru": "Параметры запретов"},
    "total_change": {"en": "Total change", "ru": "Изменение в целом"},
    "as_calibrated": {"en": "as calibrated", "ru": "как в калибровке"},
    "ban_law_title": {"en": "The 2013 ban law's total effect in {year}",
                      "ru": "Полный эффект закона о запретах 2013 г. в {year} г."},
    "ban_law_note": {
        "en": "The scenario against the same scenario without the law, in the second period: the stock of "
              "bans built up since 2013, which a window sees only in part. Also with the two uncalibrated "
              "ban parameters at the ends of their plausible ranges.",
        "ru": "Сценарий в сравнении с тем же сценарием без закона, во втором периоде: накопленные с 2013 г. "
              "запреты, которые окно видит лишь отчасти. Также при двух некалиброванных параметрах "
              "запретов на краях их правдоподобных диапазонов."},
    "hit_title": {"en": "Who was hit", "ru": "Кого это затронуло"},
    "hit_note": {"en": "Each region and sex: its total change and each cause's part (means over members).",
                 "ru": "Каждый регион и пол: изменение в целом и доля каждой причины (средние по расчётам)."},
    "hit_pick": {"en": "Choose one country above to see its regions and sexes.",
                 "ru": "Выберите одну страну выше, чтобы увидеть её регионы и пол."},
    "group_male": {"en": "men", "ru": "мужчины"},
    "group_female": {"en": "women", "ru": "женщины"},
    "other_title": {"en": "Other periods", "ru": "Другие периоды"},
    "other_help": {"en": "Any two years or two months of the baseline, a small size: a few minutes",
                   "ru": "Любые два года или два месяца базового сценария, малый размер: несколько минут"},
    "from_period": {"en": "From (YYYY or YYYY-MM)", "ru": "С (ГГГГ или ГГГГ-ММ)"},
    "to_period": {"en": "To (YYYY or YYYY-MM)", "ru": "По (ГГГГ или ГГГГ-ММ)"},
    "indicators": {"en": "Indicators", "ru": "Показатели"},
    "factors": {"en": "Factors", "ru": "Факторы"},
    "factors_help": {"en": "None chosen: every factor that changes anything in the window. Factors not "
                           "chosen act in every run, so their effect is part of the drift.",
                     "ru": "Если не выбрано ничего — все факторы, которые что-то меняют в этом окне. "
                           "Невыбранные факторы действуют во всех расчётах, их эффект входит в инерцию."},
    "members": {"en": "Members (seeds)", "ru": "Расчётов (зёрен)"},
    "by_region_sex": {"en": "Who was hit: also by region and sex",
                      "ru": "Кого затронуло: также по регионам и полу"},
    "bad_households": {"en": "Households: from {low} to {high}", "ru": "Домохозяйств: от {low} до {high}"},
    "bad_seeds": {"en": "Members: from {low} to {high}", "ru": "Расчётов: от {low} до {high}"},
    "no_indicator": {"en": "Choose at least one indicator", "ru": "Выберите хотя бы один показатель"},
    "runs_needed": {"en": "{runs} runs", "ru": "расчётов: {runs}"},
    "running_runs": {"en": "Running: {done} of {total} runs done",
                     "ru": "Идёт расчёт: готово {done} из {total}"},
    "running_ban_law": {"en": "Running: the ban law's total effect...",
                        "ru": "Идёт расчёт: полный эффект закона о запретах..."},
    "all_active": {"en": "all active factors", "ru": "все действующие факторы"},
    "active_now": {"en": "Active in this window: {factors}", "ru": "Действуют в этом окне: {factors}"},
    "results_for_drove": {
        "en": "Results for: {a} to {b}; {indicators}; factors: {factors}; {households} households x {seeds} "
              "members",
        "ru": "Результаты для: с {a} по {b}; {indicators}; факторы: {factors}; {households} домохозяйств x "
              "{seeds} расч."},
    "stale_drove": {"en": "The form has changed since this run: the results below are for the earlier "
                          "inputs. Press Run to update them.",
                    "ru": "Форма изменилась после этого расчёта: результаты ниже относятся к прежним "
                          "настройкам. Нажмите «Запустить», чтобы обновить их."},
}
# fmt: on


def t(key: str, **args) -> str:
    """The text of ``key`` in the session's language (the key itself if unknown)."""
    entry = TEXT.get(key)
    if entry is None:
        return key
    text = entry.get(lang.value) or entry["en"]
    return text.format(**args) if args else text


def indicator_label(name: str) -> str:
    """An indicator's label from :data:`sim.indicators.REGISTRY` in the session's language, capitalised.

    Shares carry ", %": the pages show them in percent. A name not in the
    registry is looked up with :func:`t`.
    """
    from sim.indicators import REGISTRY, SHARE

    indicator = REGISTRY.get(name)
    if indicator is None:
        return t(name)
    text = indicator.label(lang.value)
    text = text[:1].upper() + text[1:]
    return f"{text}, %" if indicator.unit == SHARE else text


def number(x: float, digits: int = 0, trim: bool = False, language: str | None = None) -> str:
    """``x`` with ``digits`` decimals in the session's style: 1,234.5 in English, 1 234,5 in Russian.

    ``trim`` drops trailing zeros of the decimals (1.50 -> 1.5, 4.00 -> 4); ``language``
    (``"en"`` / ``"ru"``) overrides the session's.
    """
    text = f"{x:,.{digits}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    if (language or lang.value) == "ru":
        text = text.replace(",", "\u00a0").replace(".", ",")
    return text


def place_name(code: str) -> str:
    """An origin's name (``"TJ"``, ...) or, for ``"all"``, the three of them, in the session's language."""
    return t("all_countries") if code == "all" else t(f"country_{code}")


def place_options(codes, all_last: bool = False) -> dict[str, str]:
    """``"all"`` and each origin code -> its short label ("All three", "Tajikistan", ...)."""
    origins = {code: t(f"country_{code}") for code in codes}
    every = {"all": t("all_short")}
    return {**origins, **every} if all_last else {**every, **origins}


def by_label(options: dict[str, str], value: str, on_value) -> dict:
    """Keywords for a Select or ToggleButtonsSingle that shows labels and reports codes.

    ``options`` maps each code to its label in the session's language;
    ``value`` is the current code and ``on_value(code)`` receives the chosen one.
    """
    codes = {label: code for code, label in options.items()}
    return {"values": list(codes), "value": options[value], "on_value": lambda label: on_value(codes[label])}


def by_labels(options: dict[str, str], values, on_value) -> dict:
    """:func:`by_label` for a SelectMultiple: shows labels, reports the chosen codes in ``options``' order."""

    def chosen(labels) -> None:
        picked = set(labels)
        on_value(tuple(code for code, label in options.items() if label in picked))

    shown = [options[code] for code in values]
    return {"all_values": list(options.values()), "values": shown, "on_value": chosen}


@solara.component
def LanguageSwitch():
    """``English`` / ``Русский``: sets the language of this session."""
    names = {code: name for name, code in LANGUAGES.items()}
    solara.ToggleButtonsSingle(
        value=names[lang.value], values=list(LANGUAGES), on_value=lambda name: lang.set(LANGUAGES[name])
    )
