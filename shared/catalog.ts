/**
 * The single source of the shop's option values: the page renders these, the collector
 * validates against them, and `GET /api/catalog` serves them.
 * Each value fits its column in `clickstream_data` (see COLUMN_LIMITS).
 */
export const CATALOG = {
  category: ['T-shirt', 'Shirt', 'Hoodie', 'Jacket', 'Trousers', 'Shorts', 'Dress', 'Shoes', 'Hat'],
  gender: ['Women', 'Men', 'Unisex', 'Kids'],
  style: ['Casual', 'Sport', 'Elegant', 'Streetwear', 'Vintage', 'Outdoor'],
  size: ['XS', 'S', 'M', 'L', 'XL', 'XXL'],
} as const;

export type CatalogOption = keyof typeof CATALOG;
export type Catalog = { readonly [K in CatalogOption]: readonly string[] };

export const CATALOG_OPTIONS = Object.keys(CATALOG) as CatalogOption[];

/** Character limits of the seed's columns, kept so that nothing accepted can fail at insert time. */
export const COLUMN_LIMITS = {
  username: 32,
  category: 10,
  gender: 10,
  style: 20,
  size: 5,
  hexColor: 8,
} as const;
