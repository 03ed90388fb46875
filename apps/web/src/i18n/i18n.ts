import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './en.messages';
import { zh } from './zh.messages';

export type Language = 'zh' | 'en';
const STORAGE_KEY = 'fireiot.language';

export function storedLanguage(): Language {
  return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh';
}

/** Chinese by default (CQC/SC 11002 is a Chinese spec and its users read Chinese); English on request. */
export async function initI18n(): Promise<void> {
  await i18next.use(initReactI18next).init({
    resources: { zh: { translation: zh }, en: { translation: en } },
    lng: storedLanguage(),
    fallbackLng: 'zh',
    interpolation: { escapeValue: false },
  });
  document.documentElement.lang = i18next.language === 'en' ? 'en' : 'zh-CN';
}

export async function switchLanguage(): Promise<void> {
  const next: Language = i18next.language === 'en' ? 'zh' : 'en';
  localStorage.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next === 'en' ? 'en' : 'zh-CN';
  await i18next.changeLanguage(next);
}
