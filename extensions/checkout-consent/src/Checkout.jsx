/** @jsxImportSource preact */
import '@shopify/ui-extensions/preact';
import {render} from 'preact';

import {ConsentBlock} from './ConsentBlock.jsx';

// Entry module for the checkout targets listed in shopify.extension.toml.
export default async () => {
  render(<ConsentBlock api={shopify} />, document.body);
};
